"""moto on the shared workloads, by the method of shared/bench/README.md: one execution =
start_execution + waiting for the execution's worker thread + describe_execution."""
import io, json, os, resource, sys, threading, time, zipfile

import boto3
import requests
from moto import mock_aws

DIR = sys.argv[1]
SECS = float(os.environ.get("SECS", "2"))
NAMES = [n for n in ["pass-chain", "choice-loop", "map-1k", "parallel-fanout", "task-mocked", "wait-heavy"]
         if len(sys.argv) <= 2 or n in sys.argv[2:]]
STATES = {"pass-chain": 200, "choice-loop": 2001, "map-1k": 3001, "parallel-fanout": 201, "task-mocked": 100, "wait-heavy": 10}


def read(name, suffix):
    with open(f"{DIR}/{name}.{suffix}") as f:
        return json.load(f)


def canon(v):
    if isinstance(v, dict):
        return {k: canon(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [canon(x) for x in v]
    return v


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
def main():
    if "wait-heavy" in NAMES:
        # Not a moto feature: its Wait states sleep in real time (the README's footnote 2).
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function
        wait_function.WaitFunction._wait_interval = lambda self, env, wait_seconds: None
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    lam = boto3.client("lambda", region_name="us-east-1")
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
    lam.create_function(FunctionName="bench-fn", Runtime="python3.11", Role=role, Handler="index.handler",
                        Code={"ZipFile": code.getvalue()})
    for name in NAMES:
        definition = read(name, "asl.json")
        inp = json.dumps(read(name, "input.json"))
        expected = read(name, "expected.json")
        mock = read(name, "mock.json") if os.path.exists(f"{DIR}/{name}.mock.json") else None
        arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)["stateMachineArn"]

        counter = [0]

        def run():
            if mock is not None:
                requests.post("http://motoapi.amazonaws.com/moto-api/static/lambda-simple/response",
                              json={"results": [json.dumps(mock["Payload"])] * STATES[name], "region": "us-east-1"})
            before = set(threading.enumerate())
            counter[0] += 1
            ex = sfn.start_execution(stateMachineArn=arn, name=f"e{counter[0]}", input=inp)["executionArn"]
            for t in set(threading.enumerate()) - before:
                while t.ident is None:
                    time.sleep(0)
                t.join()
            return sfn.describe_execution(executionArn=ex)

        first = run()
        correct = first["status"] == "SUCCEEDED" and canon(json.loads(first.get("output", "null"))) == canon(expected)
        run()
        times = []
        t0 = time.perf_counter()
        while len(times) < 5 or (len(times) < 201 and time.perf_counter() - t0 < 1.0):
            t = time.perf_counter()
            run()
            times.append(time.perf_counter() - t)
        times.sort()
        median = times[len(times) // 2]
        n, s0 = 0, time.perf_counter()
        while n == 0 or time.perf_counter() - s0 < SECS:
            run()
            n += 1
        print(json.dumps({"peer": "moto 5.2.5", "workload": name, "correct": correct, "states": STATES[name],
                          "median_ms": round(median * 1000, 3), "exec_per_s": round(n / (time.perf_counter() - s0), 2),
                          "us_per_state": round(median * 1e6 / STATES[name], 1),
                          "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)


main()
