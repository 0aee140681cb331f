/* global document, fetch, TextDecoder, AbortController, location, performance */
// The playground's script: plain browser JavaScript, inlined into the page by playground-page.ts.
// It calls this server's own OpenAI-compatible API (fetch + server-sent events) and nothing else.
(function playground() {
  'use strict';

  const config = JSON.parse(document.getElementById('playground-config').textContent);
  const POLICY_NAMES = { relay: 'Relay', slm_only: 'SLM only', llm_only: 'LLM only' };
  const byId = (id) => document.getElementById(id);
  let running = null;

  function requestHeaders() {
    const headers = { 'content-type': 'application/json' };
    const key = byId('api-key').value.trim();
    if (key !== '') headers.authorization = 'Bearer ' + key;
    return headers;
  }

  function setStatus(text, isError) {
    const status = byId('status');
    status.textContent = text;
    status.classList.toggle('error', Boolean(isError));
  }

  /** An error response's message (OpenAI's body), and a hint to give a key when the server asks for one. */
  async function errorOf(response) {
    let message = 'HTTP ' + response.status;
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) message = body.error.message + ' (HTTP ' + response.status + ')';
    } catch {
      // Not JSON: keep the status.
    }
    if (response.status === 401) {
      byId('key-box').open = true;
      byId('api-key').focus();
    }
    return new Error(message);
  }

  async function describePair() {
    try {
      const response = await fetch('/v1/models', { headers: requestHeaders() });
      if (!response.ok) throw await errorOf(response);
      const model = (await response.json()).data[0];
      const pair = model.relayllm;
      byId('pair').textContent = 'Model "' + model.id + '": SLM ' + pair.slm.name + ', LLM ' + pair.llm.name + ', context ' + pair.context_length + ' tokens';
    } catch (error) {
      byId('pair').textContent = error.message;
    }
  }

  /** One answer: its text with LLM spans highlighted and calls marked, a timeline of who wrote what, the usage line. */
  class Panel {
    constructor(policy) {
      const node = byId('panel-template').content.firstElementChild.cloneNode(true);
      node.dataset.policy = policy;
      node.querySelector('.panel-title').textContent = POLICY_NAMES[policy];
      this.node = node;
      this.answer = node.querySelector('.answer');
      this.timeline = node.querySelector('.timeline');
      this.usageLine = node.querySelector('.usage');
      this.calls = new Map();
      this.segments = [];
      this.openMark = null;
      byId('results').appendChild(node);
    }

    text(content, relay) {
      const source = relay && relay.source === 'llm' ? 'llm' : 'slm';
      if (source === 'llm') {
        if (this.openMark === null) {
          this.openMark = document.createElement('mark');
          this.openMark.className = 'llm';
          if (relay.call !== undefined) this.openMark.dataset.call = String(relay.call);
          this.answer.appendChild(this.openMark);
        }
        this.openMark.appendChild(document.createTextNode(content));
      } else {
        this.openMark = null;
        this.answer.appendChild(document.createTextNode(content));
      }
      this.addSegment(source, relay && relay.tokens ? relay.tokens : 0, content);
    }

    callStarted(event) {
      this.openMark = null;
      const badge = document.createElement('span');
      badge.className = 'call';
      badge.tabIndex = 0;
      badge.textContent = String(event.granted_n);
      badge.dataset.callIndex = String(event.call_index);
      const who = event.confidence_floor ? ' (confidence floor)' : '';
      badge.dataset.tip = 'call ' + (event.call_index + 1) + who + ': ' + event.requested_n + ' tokens requested, ' + event.granted_n + ' granted';
      if (event.confidence_floor) badge.classList.add('floor');
      badge.setAttribute('aria-label', 'LLM call ' + (event.call_index + 1) + ', ' + event.granted_n + ' tokens granted');
      this.calls.set(event.call_index, badge);
      this.answer.appendChild(badge);
    }

    callFinished(event) {
      this.openMark = null;
      const badge = this.calls.get(event.call_index);
      if (!badge) return;
      badge.dataset.tip += '; wrote ' + event.tokens_written + ' in ' + event.latency_ms + ' ms';
      badge.dataset.latencyMs = String(event.latency_ms);
      badge.setAttribute('aria-label', badge.getAttribute('aria-label') + ', wrote ' + event.tokens_written + ' in ' + event.latency_ms + ' ms');
    }

    addSegment(source, tokens, content) {
      const last = this.segments[this.segments.length - 1];
      if (last && last.source === source) {
        last.tokens += tokens;
        last.chars += content.length;
      } else {
        this.segments.push({ source, tokens, chars: content.length });
      }
      this.drawTimeline();
    }

    drawTimeline() {
      this.timeline.textContent = '';
      let slm = 0;
      let llm = 0;
      for (const segment of this.segments) {
        const bar = document.createElement('span');
        bar.className = segment.source;
        bar.style.flexGrow = String(Math.max(segment.tokens, 1));
        bar.title = segment.source.toUpperCase() + ': ' + segment.tokens + ' tokens';
        this.timeline.appendChild(bar);
        if (segment.source === 'llm') llm += segment.tokens;
        else slm += segment.tokens;
      }
      this.timeline.setAttribute('aria-label', 'Who wrote the answer, in order: SLM ' + slm + ' tokens, LLM ' + llm + ' tokens');
    }

    usage(usage) {
      const relay = usage.relay;
      const line = this.usageLine;
      line.dataset.slmTokens = String(relay.slm_tokens);
      line.dataset.llmTokens = String(relay.llm_tokens);
      line.dataset.calls = String(relay.calls);
      line.dataset.ratio = String(relay.llm_token_ratio);
      line.textContent =
        'SLM ' + relay.slm_tokens + ' tokens · LLM ' + relay.llm_tokens + ' tokens · ' + relay.calls + (relay.calls === 1 ? ' call' : ' calls') +
        ' · ρ = ' + relay.llm_token_ratio.toFixed(3) + ' · ' + relay.finish_reason;
    }
  }

  /** Handles one server-sent event; true once the stream says [DONE]. */
  function handleEvent(event, panel) {
    for (const line of event.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') return true;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) panel.usage(chunk.usage);
      for (const choice of chunk.choices || []) {
        const delta = choice.delta || {};
        const relay = delta.relay;
        if (relay && relay.event === 'relay_started') panel.callStarted(relay);
        else if (relay && relay.event === 'relay_finished') panel.callFinished(relay);
        else if (delta.content) panel.text(delta.content, relay);
      }
    }
    return false;
  }

  async function streamAnswer(policy, question, panel, signal) {
    const body = {
      model: config.modelId,
      messages: [{ role: 'user', content: question }],
      stream: true,
      stream_options: { include_usage: true },
      relay_policy: policy,
      temperature: Number(byId('temperature').value),
      max_tokens: Number(byId('max-tokens').value),
    };
    // Sent only when set: the server's answer to a bias it cannot apply (an SLM on an OpenAI-compatible server) is shown as any error.
    const callBias = Number(byId('call-bias').value);
    if (callBias !== 0) body.call_bias = callBias;
    const floor = Number(byId('confidence-floor').value);
    if (floor !== 0) body.confidence_floor = { threshold: floor };
    const response = await fetch('/v1/chat/completions', { method: 'POST', headers: requestHeaders(), body: JSON.stringify(body), signal });
    if (!response.ok) throw await errorOf(response);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended before [DONE]');
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (handleEvent(event, panel)) return;
      }
    }
  }

  function stop() {
    if (running !== null) running.abort();
  }

  async function run() {
    stop();
    const question = byId('question').value.trim();
    if (question === '') {
      setStatus('Write a question first.', true);
      byId('question').focus();
      return;
    }
    const choice = document.querySelector('input[name=policy]:checked').value;
    const policies = choice === 'compare' ? ['relay', 'slm_only', 'llm_only'] : [choice];
    const results = byId('results');
    results.textContent = '';
    results.style.setProperty('--columns', String(policies.length));
    const controller = new AbortController();
    running = controller;
    byId('run').disabled = true;
    byId('stop').disabled = false;
    setStatus('Generating…');
    const started = performance.now();
    const outcomes = await Promise.allSettled(policies.map((policy) => streamAnswer(policy, question, new Panel(policy), controller.signal)));
    const panels = results.querySelectorAll('.panel');
    const failures = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status !== 'rejected' || controller.signal.aborted) return;
      failures.push(outcome.reason.message);
      panels[i].querySelector('.usage').textContent = outcome.reason.message;
      panels[i].querySelector('.usage').classList.add('error');
    });
    if (running === controller) {
      running = null;
      byId('run').disabled = false;
      byId('stop').disabled = true;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (controller.signal.aborted) setStatus('Stopped.');
      else if (failures.length > 0) setStatus(failures[0], true);
      else setStatus('Done in ' + seconds + ' s.');
    }
  }

  function init() {
    byId('base-url').textContent = location.origin + '/v1';
    byId('max-tokens').value = String(config.defaultMaxTokens);
    const examples = byId('examples');
    for (const example of config.examples) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = example;
      button.addEventListener('click', () => {
        byId('question').value = example;
        byId('question').focus();
      });
      examples.appendChild(button);
    }
    if (config.examples.length > 0) byId('question').value = config.examples[0];
    byId('ask').addEventListener('submit', (event) => {
      event.preventDefault();
      void run();
    });
    byId('stop').addEventListener('click', stop);
    byId('question').addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void run();
      }
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') stop();
    });
    byId('api-key').addEventListener('change', describePair);
    void describePair();
  }

  init();
})();
