// GET /metrics read with a real Prometheus text-format parser: every family is well formed, and the counts move
// as requests are made (relayed, mock, failed, hung up).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startProxy, startUpstream } from './lib.mjs';

let upstream, proxy;

before(async () => {
  upstream = await startUpstream();
  proxy = await startProxy({
    OPENAI_API_KEY: 'sk-e2e-metrics-upstream-0123456789',
    OPENAI_BASE_URL: `${upstream.url}/v1`,
    MOCK_INTERVAL_MS: '2',
  });
});

after(async () => {
  await Promise.all([proxy?.stop(), upstream?.stop()]);
});

async function scrape() {
  const res = await fetch(`${proxy.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const families = new Map();
  for (const f of parsePrometheusTextFormat(text)) families.set(f.name, f);
  // parse-prometheus-text-format folds a labelled histogram into one bucket map and drops its _count/_sum
  // series. Parsed again with histograms declared untyped, every _count series comes back with its labels.
  const series = new Map();
  // (The _count lines of different label sets are not adjacent, so one name comes back as several families.)
  for (const f of parsePrometheusTextFormat(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped')))
    series.set(f.name, [...(series.get(f.name) ?? []), ...f.metrics]);
  return { text, families, series };
}

function labelsMatch(metric, labels) {
  return Object.entries(labels).every(([k, v]) => (metric.labels ?? {})[k] === v);
}

// The value of a counter/gauge series (0 when it does not exist yet).
function value(m, name, labels = {}) {
  const f = m.families.get(name);
  assert.ok(f, `family ${name} is exposed`);
  const s = f.metrics.find((x) => labelsMatch(x, labels));
  return s ? Number(s.value) : 0;
}

// The observation count of a histogram series (0 when it does not exist yet).
function count(m, name, labels = {}) {
  const f = m.families.get(name);
  assert.ok(f, `family ${name} is exposed`);
  assert.equal(f.type, 'HISTOGRAM');
  const counts = m.series.get(`${name}_count`);
  if (!counts) return 0;  // no observation yet
  return counts.filter((x) => labelsMatch(x, labels)).reduce((n, x) => n + Number(x.value), 0);
}

async function chat(body, { expectStatus = 200 } = {}) {
  const res = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }], ...body }),
  });
  const text = await res.text();
  assert.equal(res.status, expectStatus, text);
  return text;
}

async function until(predicate, what) {
  for (let i = 0; i < 300; i++) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('every family parses, with HELP, TYPE and consistent histograms', async () => {
  const m = await scrape();
  for (const name of [
    'switchboard_requests_total',
    'switchboard_request_duration_seconds',
    'switchboard_time_to_first_token_seconds',
    'switchboard_inter_chunk_gap_seconds',
    'switchboard_upstream_latency_seconds',
    'switchboard_active_streams',
    'switchboard_upstream_errors_total',
    'switchboard_retries_total',
    'switchboard_client_disconnects_total',
    'switchboard_bedrock_trace_events_total',
    'switchboard_tokens_total',
    'switchboard_message_log_dropped_total',
  ]) {
    const f = m.families.get(name);
    assert.ok(f, `${name} is exposed`);
    assert.ok(f.help.length > 0, `${name} has HELP`);
  }
  assert.equal(m.families.get('switchboard_active_streams').type, 'GAUGE');
  assert.equal(m.families.get('switchboard_requests_total').type, 'COUNTER');
  assert.equal(value(m, 'switchboard_bedrock_trace_events_total'), 0);
});

test('counts move as requests are made', async () => {
  const before = await scrape();
  const openai200 = { provider: 'openai', model: 'gpt-4o-mini', status: '200' };

  await chat({});
  await chat({});
  await chat({ stream: true, stream_options: { include_usage: true } });
  await chat({ provider: 'mock', stream: true, stream_options: { include_usage: true } });
  await chat({ mock: { scenario: 'error', status: 503 } }, { expectStatus: 502 });
  await chat({ mock: { scenario: 'error', status: 429 } }, { expectStatus: 429 });
  await chat({ messages: 'not an array' }, { expectStatus: 400 });

  const after = await scrape();
  assert.equal(value(after, 'switchboard_requests_total', openai200) - value(before, 'switchboard_requests_total', openai200), 3);
  assert.equal(
    value(after, 'switchboard_requests_total', { provider: 'mock', status: '200' }) -
      value(before, 'switchboard_requests_total', { provider: 'mock', status: '200' }),
    1,
  );
  assert.equal(
    value(after, 'switchboard_requests_total', { provider: 'openai', status: '502' }) -
      value(before, 'switchboard_requests_total', { provider: 'openai', status: '502' }),
    1,
  );
  assert.equal(
    value(after, 'switchboard_requests_total', { provider: 'none', status: '400' }) -
      value(before, 'switchboard_requests_total', { provider: 'none', status: '400' }),
    1,
  );
  const errs = (m, kind) => value(m, 'switchboard_upstream_errors_total', { provider: 'openai', kind });
  assert.equal(errs(after, 'server') - errs(before, 'server'), 1);
  assert.equal(errs(after, 'rate_limit') - errs(before, 'rate_limit'), 1);

  const dur = (m) => count(m, 'switchboard_request_duration_seconds');
  assert.equal(dur(after) - dur(before), 7);
  const ttft = (m, provider) => count(m, 'switchboard_time_to_first_token_seconds', { provider });
  assert.equal(ttft(after, 'openai') - ttft(before, 'openai'), 3);
  assert.equal(ttft(after, 'mock') - ttft(before, 'mock'), 1);
  const up = (m) => count(m, 'switchboard_upstream_latency_seconds', { provider: 'openai' });
  assert.equal(up(after) - up(before), 5, 'every upstream call that got headers');
  assert.ok(count(after, 'switchboard_inter_chunk_gap_seconds') - count(before, 'switchboard_inter_chunk_gap_seconds') >= 8);

  const tokens = (m, provider, type) => value(m, 'switchboard_tokens_total', { provider, type });
  assert.ok(tokens(after, 'openai', 'prompt') > tokens(before, 'openai', 'prompt'));
  assert.ok(tokens(after, 'openai', 'completion') > tokens(before, 'openai', 'completion'));
  assert.ok(tokens(after, 'mock', 'completion') > tokens(before, 'mock', 'completion'));

  // Histogram buckets are cumulative and end with +Inf == count, per label set.
  const key = (labels) => JSON.stringify(Object.entries(labels ?? {}).filter(([k]) => k !== 'le').sort());
  for (const f of [...after.families.values()].filter((x) => x.type === 'HISTOGRAM')) {
    const counts = new Map((after.series.get(`${f.name}_count`) ?? []).map((x) => [key(x.labels), Number(x.value)]));
    const buckets = new Map();
    for (const b of after.series.get(`${f.name}_bucket`) ?? []) {
      if (!buckets.has(key(b.labels))) buckets.set(key(b.labels), []);
      buckets.get(key(b.labels)).push(b);
    }
    assert.equal(buckets.size, counts.size, `${f.name}: one bucket set per _count series`);
    for (const [k, bs] of buckets) {
      let prev = 0;
      for (const b of bs) {
        assert.ok(Number(b.value) >= prev, `${f.name} buckets are cumulative`);
        prev = Number(b.value);
      }
      assert.equal(bs.at(-1).labels.le, '+Inf', `${f.name}: the last bucket is +Inf`);
      assert.equal(prev, counts.get(k), `${f.name}: +Inf bucket equals count`);
    }
  }
});

test('active streams and client disconnects', async () => {
  const before = await scrape();
  const disconnects = (m) => value(m, 'switchboard_client_disconnects_total', { provider: 'openai' });
  const controller = new AbortController();
  const res = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
      mock: { scenario: 'stall', stall_at: 'mid_stream', drop_after: 2 },
    }),
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  await reader.read(); // the stream is open
  const during = await scrape();
  assert.ok(value(during, 'switchboard_active_streams') >= 1);

  controller.abort();
  await reader.cancel().catch(() => {});
  await until(async () => disconnects(await scrape()) === disconnects(before) + 1, 'the hang-up to be counted');
  await until(async () => value(await scrape(), 'switchboard_active_streams') === 0, 'no active stream');
});
