import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The name every SLM worker's certificate carries; the orchestrator checks it (workers are dialled by address). */
export const SLM_WORKER_TLS_NAME = 'relayllm-slm-worker';
/** The name of the orchestrator's client certificate (mTLS to the SLM workers). */
export const ORCHESTRATOR_TLS_NAME = 'relayllm-orchestrator';

/** PEM files of the SLM channel's PKI, in one directory. */
export interface SlmChannelPki {
  caCert: string;
  workerCert: string;
  workerKey: string;
  orchestratorCert: string;
  orchestratorKey: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || (error instanceof Error ? error.message : String(error))}`);
  }
}

/**
 * A private CA, the SLM workers' server certificate (named
 * SLM_WORKER_TLS_NAME, serverAuth) and the orchestrator's client certificate
 * (clientAuth), signed by it, made with the `openssl` binary in `dir` (EC
 * P-256). The CA key is removed once both are signed: nothing more can be
 * issued by it. Private keys are 0600.
 */
export function generateSlmChannelPki(dir: string, validDays = 30): SlmChannelPki {
  const key = (name: string): void => {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
    chmodSync(join(dir, `${name}.key`), 0o600);
  };
  key('ca');
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=relayllm-local-ca', '-days', String(validDays), '-out', 'ca.crt'], dir);
  const signed = (name: string, cn: string, extensions: string): void => {
    key(name);
    openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`], dir);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(validDays), '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  };
  signed('slm-worker', SLM_WORKER_TLS_NAME, `subjectAltName=DNS:${SLM_WORKER_TLS_NAME}\nextendedKeyUsage=serverAuth\n`);
  signed('orchestrator', ORCHESTRATOR_TLS_NAME, `subjectAltName=DNS:${ORCHESTRATOR_TLS_NAME}\nextendedKeyUsage=clientAuth\n`);
  for (const file of readdirSync(dir)) if (/\.(csr|ext|srl)$/.test(file) || file === 'ca.key') rmSync(join(dir, file));
  return {
    caCert: join(dir, 'ca.crt'),
    workerCert: join(dir, 'slm-worker.crt'),
    workerKey: join(dir, 'slm-worker.key'),
    orchestratorCert: join(dir, 'orchestrator.crt'),
    orchestratorKey: join(dir, 'orchestrator.key'),
  };
}
