// aws-local-stepfunctions on the shared workloads, by the method of shared/bench/README.md
// (execution 1 checked; one warm-up; single executions timed one by one, >= 5, <= 201, ~1 s;
// back-to-back executions for SECS seconds). Prints one JSON object per workload.
import { StateMachine } from 'aws-local-stepfunctions';
import fs from 'node:fs';
import util from 'node:util';

const dir = process.argv[2];
const secs = Number(process.env.SECS ?? '2');
const names = ['pass-chain', 'choice-loop', 'map-1k', 'parallel-fanout', 'task-mocked', 'wait-heavy', 'retry-heavy'];
const states = { 'pass-chain': 200, 'choice-loop': 2001, 'map-1k': 3001, 'parallel-fanout': 201, 'task-mocked': 100, 'wait-heavy': 10, 'retry-heavy': 1 };
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
function walk(def, f) {
  for (const [name, s] of Object.entries(def.States)) {
    f(name, s);
    for (const b of s.Branches ?? []) walk(b, f);
    if (s.ItemProcessor) walk(s.ItemProcessor, f);
    if (s.Iterator) walk(s.Iterator, f);
  }
}
const canon = (v) => Array.isArray(v) ? v.map(canon) : (v && typeof v === 'object') ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canon(v[k])])) : v;
for (const name of names.filter(n => process.argv.length <= 3 || process.argv.slice(3).includes(n))) {
  const def = read(`${dir}/${name}.asl.json`);
  const input = read(`${dir}/${name}.input.json`);
  const expected = read(`${dir}/${name}.expected.json`);
  const mockFile = `${dir}/${name}.mock.json`;
  const mock = fs.existsSync(mockFile) ? read(mockFile) : null;
  const sm = new StateMachine(def);
  const overrides = () => {
    const o = { taskResourceLocalHandlers: {}, waitTimeOverrides: {}, retryIntervalOverrides: {} };
    let calls = 0;
    walk(def, (n, s) => {
      if (s.Type === 'Task') {
        o.taskResourceLocalHandlers[n] = async () => {
          calls += 1;
          if (mock && mock.fail_times !== undefined) {
            if (calls <= mock.fail_times) { const e = new Error(mock.cause); e.name = mock.error; throw e; }
            const out = structuredClone(mock.success); out.Payload.attempt = calls; return out;
          }
          return mock;
        };
      }
      if (s.Type === 'Wait') o.waitTimeOverrides[n] = 0;
      if (s.Retry) o.retryIntervalOverrides[n] = 0;
    });
    return o;
  };
  const run = () => sm.run(input, { overrides: overrides() }).result;
  const first = await run();
  const correct = util.isDeepStrictEqual(canon(first), canon(expected));
  await run();
  const times = [];
  const t0 = process.hrtime.bigint();
  while (times.length < 5 || (times.length < 201 && Number(process.hrtime.bigint() - t0) < 1e9)) {
    const t = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  let n = 0;
  const s0 = process.hrtime.bigint();
  while (n === 0 || Number(process.hrtime.bigint() - s0) < secs * 1e9) { await run(); n++; }
  const execPerS = n / (Number(process.hrtime.bigint() - s0) / 1e9);
  console.log(JSON.stringify({ peer: 'aws-local-stepfunctions 3.0.0', node: process.version, workload: name, correct, states: states[name], median_ms: +median.toFixed(4), exec_per_s: +execPerS.toFixed(1), us_per_state: +(median * 1000 / states[name]).toFixed(3), peak_rss_kb: process.resourceUsage().maxRSS }));
}
