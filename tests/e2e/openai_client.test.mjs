// The official `openai` npm client through switchboard: to the built-in mock provider and to the mock upstream.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { collectStream as collect, startProxy, startUpstream } from './lib.mjs';

const UPSTREAM_KEY = 'sk-e2e-upstream-secret-abcdef123456';
let upstream, viaUpstream, viaMock, clientUp, clientMock;

before(async () => {
  upstream = await startUpstream();
  viaUpstream = await startProxy({ OPENAI_API_KEY: UPSTREAM_KEY, OPENAI_BASE_URL: `${upstream.url}/v1` });
  viaMock = await startProxy();
  clientUp = new OpenAI({ baseURL: `${viaUpstream.url}/v1`, apiKey: 'unused-by-proxy', maxRetries: 0 });
  clientMock = new OpenAI({ baseURL: `${viaMock.url}/v1`, apiKey: 'unused-by-proxy', maxRetries: 0 });
});

after(async () => {
  await Promise.all([viaUpstream?.stop(), viaMock?.stop(), upstream?.stop()]);
});

const messages = [{ role: 'user', content: 'Say hello' }];

describe('through the proxy to an OpenAI-compatible upstream', () => {
  test('non-streaming completion', async () => {
    const r = await clientUp.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assert.equal(r.object, 'chat.completion');
    assert.ok(r.choices[0].message.content.length > 0);
    assert.ok(r.usage.total_tokens > 0);
  });

  test('streaming completion', async () => {
    const s = await clientUp.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const r = await collect(s);
    assert.ok(r.text.length > 0);
    assert.equal(r.finish, 'stop');
    assert.equal(r.chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(new Set(r.chunks.map((c) => c.id)).size, 1);
  });

  test('include_usage', async () => {
    const s = await clientUp.chat.completions.create({
      model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true },
    });
    const r = await collect(s);
    assert.ok(r.usage && r.usage.total_tokens > 0);
    assert.deepEqual(r.chunks.at(-1).choices, []);
  });

  test('parallel tool calls stream through', async () => {
    const s = await clientUp.chat.completions.create({
      model: 'gpt-4o-mini', messages, stream: true, mock: { scenario: 'tool_calls_parallel' },
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });
    const r = await collect(s);
    assert.equal(r.finish, 'tool_calls');
    assert.equal(Object.keys(r.tools).length, 2);
    for (const t of Object.values(r.tools)) {
      assert.ok(t.id && t.name);
      JSON.parse(t.args);
    }
  });

  test('upstream 429 is a RateLimitError with retry-after', async () => {
    await assert.rejects(
      clientUp.chat.completions.create({ model: 'gpt-4o-mini', messages, mock: { scenario: 'error', status: 429, retry_after: 2 } }),
      (e) => e instanceof OpenAI.RateLimitError && e.headers.get('retry-after') === '2' && e.code === 'rate_limit_exceeded',
    );
  });

  test('upstream 401 is a 502 that does not blame the caller or leak the key', async () => {
    await assert.rejects(
      clientUp.chat.completions.create({ model: 'gpt-4o-mini', messages, mock: { scenario: 'error', status: 401 } }),
      (e) => e.status === 502 && e.code === 'upstream_auth_failed' && !JSON.stringify(e.error).includes('sk-'),
    );
    assert.ok(!viaUpstream.output().includes(UPSTREAM_KEY));
  });

  test('a stream that breaks mid-way raises an error instead of ending quietly', async () => {
    const s = await clientUp.chat.completions.create({
      model: 'gpt-4o-mini', messages, stream: true, mock: { scenario: 'drop', drop_after: 2 },
    });
    await assert.rejects(collect(s), (e) => e instanceof OpenAI.APIError);
  });

  test('the provider extra field selects the built-in mock', async () => {
    const r = await clientUp.chat.completions.create({ model: 'anything', messages, provider: 'mock' });
    assert.match(r.choices[0].message.content, /switchboard mock provider/);
  });
});

describe('through the proxy to the built-in mock provider', () => {
  test('non-streaming', async () => {
    const r = await clientMock.chat.completions.create({ model: 'mock-1', messages });
    assert.equal(r.choices[0].message.content, 'You said: "Say hello". This is the switchboard mock provider.');
    assert.equal(r.choices[0].finish_reason, 'stop');
  });

  test('streaming word by word with usage', async () => {
    const s = await clientMock.chat.completions.create({
      messages, stream: true, stream_options: { include_usage: true },
    });
    const r = await collect(s);
    assert.equal(r.text, 'You said: "Say hello". This is the switchboard mock provider.');
    assert.ok(r.chunks.length > 10);
    assert.ok(r.usage.completion_tokens > 0);
  });

  test('tool call round trip', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const first = await clientMock.chat.completions.create({ messages: [{ role: 'user', content: 'Paris' }], tools });
    const call = first.choices[0].message.tool_calls[0];
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.function.name, 'lookup');
    assert.deepEqual(JSON.parse(call.function.arguments), { input: 'Paris' });
    const second = await clientMock.chat.completions.create({
      tools,
      messages: [{ role: 'user', content: 'Paris' }, first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
    });
    assert.equal(second.choices[0].message.content, 'The tool returned: sunny');
  });

  test('unknown provider is a 400 BadRequestError', async () => {
    await assert.rejects(
      clientMock.chat.completions.create({ messages, provider: 'nope' }),
      (e) => e instanceof OpenAI.BadRequestError && e.code === 'unknown_provider' && e.param === 'provider',
    );
  });

  test('unconfigured provider is a 503', async () => {
    await assert.rejects(
      clientMock.chat.completions.create({ messages, model: 'openai/gpt-4o' }),
      (e) => e.status === 503 && e.code === 'provider_unavailable',
    );
  });

  test('models and providers', async () => {
    const models = await clientMock.models.list();
    assert.ok(models.data.some((m) => m.id === 'mock-1'));
  });
});
