// The official `openai` npm client through switchboard's `bedrock` provider to the mock InvokeAgent.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { collectStream as collect, startProxy, startUpstream } from './lib.mjs';

const BEDROCK_ENV = {
  AGENT_ID: 'AGENT12345',
  AGENT_ALIAS_ID: 'ALIAS67890',
  AWS_ACCESS_KEY_ID: 'AKIDMOCKUPSTREAM0001',
  AWS_SECRET_ACCESS_KEY: 'mock+upstream/bedrock/SECRET/key/0123456789',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

let upstream, proxy, replica, client, replicaClient;

before(async () => {
  upstream = await startUpstream();
  const env = { ...BEDROCK_ENV, AWS_ENDPOINT_URL: upstream.url };
  proxy = await startProxy(env);
  replica = await startProxy(env);
  client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  replicaClient = new OpenAI({ baseURL: `${replica.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await Promise.all([proxy?.stop(), replica?.stop(), upstream?.stop()]);
});

const user = (content) => [{ role: 'user', content }];

describe('openai client → switchboard → Bedrock Agents (mock)', () => {
  test('non-streaming answer, usage -1, model bedrock-agent', async () => {
    const r = await client.chat.completions.create({ messages: user('Hello agent') });
    assert.equal(r.model, 'bedrock-agent');
    assert.equal(r.choices[0].message.content, 'You said: Hello agent. This is the mock Bedrock agent.');
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.deepEqual(
      [r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens],
      [-1, -1, -1],
    );
  });

  test('streamed deltas arrive as the agent sends them', async () => {
    const stream = await client.chat.completions.create({
      messages: user('scenario:text pieces=5 interval_ms=120'),
      stream: true,
      stream_options: { include_usage: true },
    });
    const r = await collect(stream);
    assert.equal(r.text, 'You said: scenario:text pieces=5 interval_ms=120. This is the mock Bedrock agent.');
    assert.equal(r.finish, 'stop');
    assert.equal(r.usage.total_tokens, -1);
    assert.ok(r.deltas.length >= 5);
    assert.ok(r.times.at(-1) - r.times[0] > 240, `deltas were bunched: ${r.times}`);
  });

  test('a one-piece answer streams word by word', async () => {
    const r = await collect(await client.chat.completions.create({ messages: user('scenario:one_piece'), stream: true }));
    assert.deepEqual(r.deltas, ['You', ' said:', ' scenario:one_piece.', ' This', ' is', ' the', ' mock', ' Bedrock', ' agent.']);
  });

  test('tool call round trip, the follow-up served by another replica', async () => {
    const messages = user('scenario:return_control');
    const r = await collect(
      await client.chat.completions.create({ messages, stream: true, session_id: 'e2e-weather' }),
    );
    assert.equal(r.finish, 'tool_calls');
    const call = r.tools[0];
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.args), { location: 'Seattle', days: 3, metric: true, hours: [9, 12] });

    const answer = await replicaClient.chat.completions.create({
      messages: [
        ...messages,
        { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.args } }] },
        { role: 'tool', tool_call_id: call.id, content: 'Rain, 12°C' },
      ],
    });
    assert.equal(answer.choices[0].message.content, 'Tool result received: Rain, 12°C');
  });

  test('errors become the SDK error classes', async () => {
    await assert.rejects(
      client.chat.completions.create({ messages: user('scenario:error type=ThrottlingException retry_after=3') }),
      (e) => e instanceof OpenAI.RateLimitError && e.status === 429 && e.code === 'rate_limit_exceeded',
    );
    await assert.rejects(
      client.chat.completions.create({ messages: user('scenario:error type=ValidationException message=Too_long') }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.message.includes('Too_long'),
    );
    await assert.rejects(
      client.chat.completions.create({ messages: user('scenario:error type=AccessDeniedException') }),
      (e) => e.status === 502 && e.code === 'upstream_auth_failed',
    );
  });

  test('an exception mid-stream surfaces as a stream error, never as a finished answer', async () => {
    const stream = await client.chat.completions.create({
      messages: user('scenario:exception after=2 type=internalServerException'),
      stream: true,
    });
    let text = '';
    let finish = null;
    await assert.rejects(async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        finish ??= chunk.choices[0]?.finish_reason ?? null;
      }
    }, (e) => e instanceof OpenAI.APIError);
    assert.ok(text.length > 0);
    assert.equal(finish, null);
  });
});
