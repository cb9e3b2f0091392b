// The mock's InvokeAgent is faithful: the official @aws-sdk/client-bedrock-agent-runtime signs requests it
// accepts (SigV4 checked by the mock) and decodes every event it sends, recorded fixtures included.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BedrockAgentRuntimeClient, InvokeAgentCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startUpstream, FIXTURES } from './lib.mjs';

// The mock's default test keys (tools/mock-upstream/bedrock_sigv4_verify.hpp).
const ACCESS_KEY = 'AKIDMOCKUPSTREAM0001';
const SECRET_KEY = 'mock+upstream/bedrock/SECRET/key/0123456789';
const AGENT = 'AGENT12345';
const ALIAS = 'ALIAS67890';

let upstream, client;

function makeClient(secretAccessKey = SECRET_KEY, sessionToken = 'sdk-session-token') {
  return new BedrockAgentRuntimeClient({
    region: 'us-west-2',
    endpoint: upstream.url,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey, sessionToken },
    maxAttempts: 1,
    // The SDK talks HTTP/2 to this service by default; the service (like switchboard and the mock) also
    // speaks HTTP/1.1, which is what the mock serves.
    requestHandler: new NodeHttpHandler(),
  });
}

before(async () => {
  upstream = await startUpstream();
  client = makeClient();
});

after(async () => {
  client?.destroy();
  await upstream?.stop();
});

const decoder = () => new TextDecoder('utf-8', { fatal: true });

// Sends InvokeAgent and drains the event stream: the decoded events, the answer text, and the error thrown
// while iterating, if any.
async function invoke(input, c = client) {
  const response = await c.send(
    new InvokeAgentCommand({ agentId: AGENT, agentAliasId: ALIAS, enableTrace: true, ...input }),
  );
  const out = { response, events: [], bytes: [], error: null };
  try {
    for await (const event of response.completion) {
      out.events.push(event);
      if (event.chunk?.bytes) out.bytes.push(event.chunk.bytes);
    }
  } catch (e) {
    out.error = e;
  }
  const all = new Uint8Array(out.bytes.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of out.bytes) {
    all.set(b, offset);
    offset += b.length;
  }
  out.text = decoder().decode(all);
  return out;
}

const kinds = (events) => events.map((e) => Object.keys(e).find((k) => k !== '$unknown' && e[k] !== undefined));

describe('the official AWS SDK against the mock InvokeAgent', () => {
  test('signed requests are accepted and chunks, traces and headers decode', async () => {
    const r = await invoke({
      sessionId: 'sdk-session-1',
      inputText: 'scenario:text pieces=5 traces=2',
      streamingConfigurations: { streamFinalResponse: true },
    });
    assert.equal(r.error, null);
    assert.equal(r.response.sessionId, 'sdk-session-1');
    assert.equal(r.response.contentType, 'application/json');
    assert.deepEqual(kinds(r.events), ['trace', 'trace', 'chunk', 'chunk', 'chunk', 'chunk', 'chunk']);
    assert.equal(r.text, 'You said: scenario:text pieces=5 traces=2. This is the mock Bedrock agent.');
    const trace = r.events[0].trace;
    assert.equal(trace.agentId, AGENT);
    assert.equal(trace.sessionId, 'sdk-session-1');
    assert.match(trace.trace.orchestrationTrace.rationale.text, /Step 1/);
  });

  test('a session id that needs encoding is signed over the encoded path', async () => {
    const r = await invoke({ sessionId: 'user:42.a_b-c', inputText: 'hello' });
    assert.equal(r.error, null);
    assert.equal(r.text, 'You said: hello. This is the mock Bedrock agent.');
  });

  test('without streamFinalResponse the answer is one chunk', async () => {
    const r = await invoke({ sessionId: 'sdk-session-2', inputText: 'plain question' });
    assert.deepEqual(kinds(r.events), ['trace', 'chunk']);
  });

  test('conversation history is accepted', async () => {
    const r = await invoke({
      sessionId: 'sdk-history',
      inputText: 'What is my name?',
      sessionState: {
        conversationHistory: {
          messages: [
            { role: 'user', content: [{ text: 'My name is Ann.' }] },
            { role: 'assistant', content: [{ text: 'Hello Ann.' }] },
          ],
        },
      },
    });
    assert.equal(r.error, null);
    assert.match(r.text, /What is my name\?/);
  });

  test('multi-byte characters cut between chunks reassemble', async () => {
    const r = await invoke({ sessionId: 'sdk-utf8', inputText: 'scenario:utf8 pieces=11' });
    assert.equal(r.bytes.length, 11);
    assert.equal(r.text, 'Grüße aus Köln: 12°C → 30°C, 日本語 🙂 done.');
  });

  test('returnControl and its continuation', async () => {
    const first = await invoke({ sessionId: 'sdk-rc', inputText: 'scenario:return_control' });
    assert.equal(first.error, null);
    const rc = first.events.find((e) => e.returnControl)?.returnControl;
    assert.ok(rc, 'a returnControl event');
    assert.match(rc.invocationId, /^[0-9a-f-]{36}$/);
    const fn = rc.invocationInputs[0].functionInvocationInput;
    assert.equal(fn.function, 'get_weather');
    assert.equal(fn.actionGroup, 'mock_action_group');
    assert.deepEqual(
      fn.parameters.map((p) => [p.name, p.type, p.value]),
      [['location', 'string', 'Seattle'], ['days', 'integer', '3'], ['metric', 'boolean', 'true'], ['hours', 'array', '[9, 12]']],
    );

    const second = await invoke({
      sessionId: 'sdk-rc',
      sessionState: {
        invocationId: rc.invocationId,
        returnControlInvocationResults: [
          { functionResult: { actionGroup: fn.actionGroup, function: fn.function, responseBody: { TEXT: { body: 'sunny' } } } },
        ],
      },
    });
    assert.equal(second.error, null);
    assert.equal(second.text, 'Tool result received: sunny');

    // The invocation was answered; a wrong id is a ValidationException (HTTP 400) like the service's.
    await assert.rejects(
      invoke({
        sessionId: 'sdk-rc',
        sessionState: {
          invocationId: 'not-the-id',
          returnControlInvocationResults: [
            { functionResult: { actionGroup: 'a', function: 'f', responseBody: { TEXT: { body: 'x' } } } },
          ],
        },
      }),
      (e) => e.name === 'ValidationException' && e.$metadata.httpStatusCode === 400,
    );
  });

  for (const [type, status] of [
    ['ThrottlingException', 429],
    ['ValidationException', 400],
    ['AccessDeniedException', 403],
    ['ResourceNotFoundException', 404],
    ['InternalServerException', 500],
    ['DependencyFailedException', 424],
  ]) {
    test(`HTTP error ${type} is the SDK's modelled exception`, async () => {
      await assert.rejects(
        invoke({ sessionId: 'sdk-err', inputText: `scenario:error type=${type} message=Mocked` }),
        (e) => e.name === type && e.$metadata.httpStatusCode === status && e.message === 'Mocked',
      );
    });
  }

  for (const type of ['throttlingException', 'validationException', 'internalServerException', 'dependencyFailedException',
    'badGatewayException', 'accessDeniedException', 'resourceNotFoundException', 'serviceQuotaExceededException',
    'conflictException', 'modelNotReadyException']) {
    test(`exception event ${type} mid-stream is thrown by the SDK`, async () => {
      const r = await invoke({ sessionId: 'sdk-exc', inputText: `scenario:exception after=2 type=${type} message=Boom` });
      assert.equal(r.bytes.length, 2, 'the chunks before the exception');
      assert.ok(r.error, 'the exception surfaced');
      assert.equal(r.error.name, type[0].toUpperCase() + type.slice(1));
      assert.equal(r.error.message, 'Boom');
    });
  }

  test('a dropped connection breaks the stream', async () => {
    const r = await invoke({ sessionId: 'sdk-drop', inputText: 'scenario:drop after=2' });
    assert.ok(r.error, 'iteration failed');
  });

  test('a wrong secret is rejected with InvalidSignatureException', async () => {
    const bad = makeClient('wrong-secret');
    await assert.rejects(
      invoke({ sessionId: 'sdk-bad', inputText: 'hi' }, bad),
      (e) => e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403,
    );
    bad.destroy();
  });

  const recorded = readdirSync(join(FIXTURES, 'bedrock/invoke-agent')).filter((f) => f.endsWith('.eventstream'));
  for (const file of recorded) {
    test(`recorded ${file} is decoded event by event`, async () => {
      const r = await invoke({ sessionId: 'sdk-replay', inputText: `scenario:replay file=bedrock/invoke-agent/${file}` });
      assert.equal(r.error, null);
      // What the recording holds, by event type, in order (decoded independently here).
      const bytes = readFileSync(join(FIXTURES, 'bedrock/invoke-agent', file));
      const expected = [];
      let expectedText = '';
      for (let at = 0; at < bytes.length;) {
        const total = bytes.readUInt32BE(at);
        const headersLength = bytes.readUInt32BE(at + 4);
        const headers = bytes.subarray(at + 12, at + 12 + headersLength);
        for (let h = 0; h < headers.length;) {
          const nameLength = headers[h];
          const name = headers.subarray(h + 1, h + 1 + nameLength).toString();
          const valueLength = headers.readUInt16BE(h + 2 + nameLength);
          const value = headers.subarray(h + 4 + nameLength, h + 4 + nameLength + valueLength).toString();
          if (name === ':event-type') expected.push(value);
          h += 4 + nameLength + valueLength;
        }
        const payload = JSON.parse(bytes.subarray(at + 12 + headersLength, at + total - 4).toString());
        if (payload.bytes) expectedText += Buffer.from(payload.bytes, 'base64').toString('utf8');
        at += total;
      }
      assert.deepEqual(kinds(r.events), expected);
      assert.equal(r.text, expectedText);
      const rc = r.events.find((e) => e.returnControl);
      if (rc) assert.equal(rc.returnControl.invocationInputs[0].functionInvocationInput.function, 'get_weather');
    });
  }
});
