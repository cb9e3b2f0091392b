// Starts real binaries for the end-to-end tests and stops them afterwards.
import { spawn } from 'node:child_process';

export const SWITCHBOARD_BIN = process.env.SWITCHBOARD_BIN;
export const MOCK_UPSTREAM_BIN = process.env.MOCK_UPSTREAM_BIN;
export const FIXTURES = process.env.SWITCHBOARD_FIXTURES;

// Spawns `bin args…` and resolves once it prints "listening on http://HOST:PORT".
export function start(bin, args = [], env = {}) {
  if (!bin) throw new Error('binary path not set (run through ctest, which sets SWITCHBOARD_BIN / MOCK_UPSTREAM_BIN)');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${bin} did not start:\n${output}`)); }, 10000);
    const onData = (d) => {
      output += d.toString();
      const m = output.match(/listening on (http:\/\/[^\s]+)/);
      if (m && timer) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          child,
          output: () => output,
          stop: () => new Promise((res) => { child.once('exit', res); child.kill('SIGTERM'); }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${bin} exited with ${code}:\n${output}`)));
  });
}

export async function startUpstream() {
  return start(MOCK_UPSTREAM_BIN, ['--port', '0', '--fixtures', FIXTURES]);
}

export async function startProxy(env = {}) {
  return start(SWITCHBOARD_BIN, ['--port', '0', '--env-file', '/dev/null'], { MOCK_INTERVAL_MS: '2', ...env });
}

// Reads an `openai` client stream to the end: the text, each content delta with its arrival time (ms after the
// call), the raw chunks, tool calls assembled by index, the finish reason, usage and the model.
export async function collectStream(stream) {
  const out = { text: '', deltas: [], times: [], chunks: [], finish: null, usage: null, tools: {}, model: null };
  const start = performance.now();
  for await (const chunk of stream) {
    out.chunks.push(chunk);
    out.model ??= chunk.model;
    if (chunk.usage) out.usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.delta?.content) {
        out.text += c.delta.content;
        out.deltas.push(c.delta.content);
        out.times.push(performance.now() - start);
      }
      for (const t of c.delta?.tool_calls ?? []) {
        const slot = (out.tools[t.index] ??= { id: '', name: '', args: '' });
        if (t.id) slot.id = t.id;
        if (t.function?.name) slot.name = t.function.name;
        slot.args += t.function?.arguments ?? '';
      }
      if (c.finish_reason) out.finish = c.finish_reason;
    }
  }
  return out;
}
