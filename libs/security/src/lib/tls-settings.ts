import { readFileSync } from 'node:fs';
import { SecurityConfigError } from './security-config-error';

/** PEM file paths of one TLS endpoint, as configured (undefined = unset). */
export interface TlsFiles {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
}

/** The environment variable of each field, for error messages. */
export type TlsFileNames = Readonly<Record<keyof TlsFiles, string>>;

/** PEM contents, read once at startup. */
export interface TlsMaterial {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

/** A certificate needs its key and the other way round. */
export function checkCertKeyPair(files: TlsFiles, names: TlsFileNames): void {
  if (files.certFile !== undefined && files.keyFile === undefined) {
    throw new SecurityConfigError(`${names.certFile} is set but ${names.keyFile} is not: a TLS certificate needs its private key`);
  }
  if (files.keyFile !== undefined && files.certFile === undefined) {
    throw new SecurityConfigError(`${names.keyFile} is set but ${names.certFile} is not: a TLS private key needs its certificate`);
  }
}

function readPem(file: string | undefined, name: string): Buffer | undefined {
  if (file === undefined) return undefined;
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new SecurityConfigError(`${name}: cannot read ${file} (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!pem.toString('utf8').includes('-----BEGIN ')) throw new SecurityConfigError(`${name}: ${file} is not a PEM file`);
  return pem;
}

/** Reads the configured PEM files (each must exist and be PEM); call after the checks. */
export function readTlsMaterial(files: TlsFiles, names: TlsFileNames): TlsMaterial {
  return {
    cert: readPem(files.certFile, names.certFile),
    key: readPem(files.keyFile, names.keyFile),
    ca: readPem(files.caFile, names.caFile),
  };
}
