/**
 * Who may do what on NATS: one user per role, each allowed only the subjects
 * of its part of the protocol (libs/nats-transport subjects.ts). A client
 * without credentials can do nothing (no `no_auth_user`). Workers answer
 * requests through `allow_responses` (they may publish to the reply subject
 * of a message they received, not to any inbox), so a stolen worker password
 * cannot read relays of the other role nor inject replies into another call.
 * The Helm chart renders the same table (tests/deploy checks they agree).
 */

export type NatsRole = 'orchestrator' | 'slm-worker' | 'llm-worker';

export interface NatsRolePermissions {
  publish: readonly string[];
  subscribe: readonly string[];
  /** May answer the requests it received (every worker). */
  responses: boolean;
}

export const NATS_ROLES: readonly NatsRole[] = ['orchestrator', 'slm-worker', 'llm-worker'];

/** The NATS user name of each role. */
export const NATS_ROLE_USERS: Readonly<Record<NatsRole, string>> = {
  orchestrator: 'relayllm-orchestrator',
  'slm-worker': 'relayllm-slm-worker',
  'llm-worker': 'relayllm-llm-worker',
};

export const NATS_ROLE_PERMISSIONS: Readonly<Record<NatsRole, NatsRolePermissions>> = {
  orchestrator: {
    // Relays, affinity, cancels and description requests to the LLM pool; description requests to the SLM pool.
    publish: ['relayllm.llm.>', 'relayllm.slm.*.describe.*'],
    // Heartbeats, and the replies to its own requests.
    subscribe: ['relayllm.workers.heartbeat', '_INBOX.>'],
    responses: false,
  },
  'slm-worker': {
    publish: ['relayllm.workers.heartbeat'],
    subscribe: ['relayllm.slm.*.describe.*'],
    responses: true,
  },
  'llm-worker': {
    publish: ['relayllm.workers.heartbeat'],
    subscribe: ['relayllm.llm.*.generate', 'relayllm.llm.*.worker.*', 'relayllm.llm.*.cancel.*', 'relayllm.llm.*.describe.*'],
    responses: true,
  },
};

/**
 * How long a worker may keep answering one request, and how many messages:
 * an LLM relay streams several replies (ack, chunks, end), so no count limit;
 * the expiry bounds the server's per-connection table of open replies.
 */
export const NATS_RESPONSE_WINDOW = { max: -1, expires: '10m' } as const;

/** True when `subject` matches the NATS `pattern` (`*` one token, `>` one or more trailing tokens). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i += 1) {
    if (want[i] === '>') return have.length > i;
    if (i >= have.length || (want[i] !== '*' && want[i] !== have[i])) return false;
  }
  return want.length === have.length;
}

/** May `role` publish on / subscribe to `subject`? (Replies to received requests aside.) */
export function natsRoleMay(role: NatsRole, action: 'publish' | 'subscribe', subject: string): boolean {
  return NATS_ROLE_PERMISSIONS[role][action].some((pattern) => subjectMatches(pattern, subject));
}

const list = (subjects: readonly string[]): string => `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;

/**
 * The `authorization { users = [...] }` block of a nats-server config: one
 * user per role with its permissions. `passwords` are written as given: a
 * literal (quoted here) or, with `passwordsAreVariables`, the names of
 * environment variables nats-server substitutes (`$NAME`).
 */
export function natsAuthorizationConfig(passwords: Readonly<Record<NatsRole, string>>, passwordsAreVariables = false): string {
  const users = NATS_ROLES.map((role) => {
    const p = NATS_ROLE_PERMISSIONS[role];
    const password = passwordsAreVariables ? `$${passwords[role]}` : JSON.stringify(passwords[role]);
    const responses = p.responses ? `, allow_responses: { max: ${NATS_RESPONSE_WINDOW.max}, expires: "${NATS_RESPONSE_WINDOW.expires}" }` : '';
    return (
      `    { user: ${JSON.stringify(NATS_ROLE_USERS[role])}, password: ${password}, permissions: {\n` +
      `        publish: { allow: ${list(p.publish)} }, subscribe: { allow: ${list(p.subscribe)} }${responses} } }`
    );
  });
  return `authorization {\n  users = [\n${users.join(',\n')}\n  ]\n}\n`;
}
