import { headers as natsHeaders, type Msg, type MsgHdrs } from '@nats-io/nats-core';

/**
 * Early acknowledgement of a relay request. A caller that sets
 * `relayllm-ack: 1` on a request gets, on the same reply subject, first an
 * empty message with `relayllm-accepted-by: <workerId>` as soon as a worker
 * has admitted the request, then the LlmGenerateReply. So a caller that sent
 * to the queue group learns which worker runs its call and can stop waiting
 * the moment that worker is declared dead, instead of at its timeout.
 */
export const LLM_ACK_REQUEST_HEADER = 'relayllm-ack';
export const LLM_ACCEPTED_BY_HEADER = 'relayllm-accepted-by';

export function wantsAck(headers: MsgHdrs | undefined): boolean {
  return headers?.get(LLM_ACK_REQUEST_HEADER) === '1';
}

/** Adds the ack request to `headers` (a new header block when undefined). */
export function withAckRequest(headers: MsgHdrs | undefined): MsgHdrs {
  const out = headers ?? natsHeaders();
  out.set(LLM_ACK_REQUEST_HEADER, '1');
  return out;
}

export function ackHeaders(workerId: string): MsgHdrs {
  const out = natsHeaders();
  out.set(LLM_ACCEPTED_BY_HEADER, workerId);
  return out;
}

/** The worker id of an ack message, undefined for any other message. */
export function acceptedBy(msg: Pick<Msg, 'headers'>): string | undefined {
  const id = msg.headers?.get(LLM_ACCEPTED_BY_HEADER);
  return id === undefined || id === '' ? undefined : id;
}

/** The server's "no responders" status (503, empty body) on a reply subject. */
export function isNoRespondersStatus(msg: Pick<Msg, 'headers' | 'data'>): boolean {
  return msg.data.length === 0 && msg.headers?.code === 503;
}
