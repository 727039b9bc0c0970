// Give a tenant a dev instance, check it answers, stop it, start it, and delete it: each step an Operation.
import { randomUUID } from "node:crypto";

const BASE_URL = process.env.BBWS_URL ?? "http://127.0.0.1:8080";
const TOKEN = process.env.BBWS_TOKEN;
if (!TOKEN) {
  console.error("Set BBWS_TOKEN to a bearer token (see authentication.md).");
  process.exit(1);
}
const FINISHED = ["COMPLETED", "FAILED", "CANCELLED"];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, path, body) {
  const response = await fetch(new URL(path, BASE_URL), {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

// Read the Operation until it has finished; provisioning takes seconds on one machine, minutes on AWS.
async function waitFor(operationUrl) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const operation = await (await call("GET", operationUrl)).json();
    if (FINISHED.includes(operation.status) || Date.now() > deadline) return operation;
    await sleep(500);
  }
}

// A 202 answer: wait for its Operation, then read the instance it names.
async function follow(response, step) {
  const operation = await waitFor(response.headers.get("Location"));
  console.log(`${step}: ${operation.operationType} ${operation.status} - ${operation.message}`);
  if (operation.status !== "COMPLETED") throw new Error(`${step} failed: ${JSON.stringify(operation.error)}`);
  return (await call("GET", operation.result._links.instance.href)).json();
}

// Follow the instance's `_links` entry for an action; it is only there when the status allows it.
async function act(instance, action, body) {
  const link = instance._links[action];
  if (!link) throw new Error(`${action} is not allowed while ${instance.status}`);
  return follow(await call(link.method, link.href, body), action);
}

async function answers(url) {
  try {
    return String((await fetch(url, { signal: AbortSignal.timeout(5000) })).status);
  } catch {
    return "no answer";
  }
}

const name = `Example Agency ${randomUUID().slice(0, 8)}`;
const created = await call("POST", "/v1.0/tenants", { organizationName: name, contactEmail: "ops@example.com" });
const tenantUrl = created.headers.get("Location");
while ((await (await call("GET", tenantUrl)).json()).status === "PENDING") await sleep(200); // onboarding
let instance = await follow(await call("POST", `${tenantUrl}/instances`, { environment: "dev", desiredCount: 2 }), "create");
console.log(`instance ${instance.instanceId} is ${instance.status} with ${instance.runningCount} workers`);
console.log(`GET ${instance.url}: ${await answers(instance.url)}`);
instance = await act(instance, "stop", { action: "stop" });
console.log(`stopped: ${instance.status}; GET the url: ${await answers(instance.url)}`);
instance = await act(instance, "start", { action: "start" });
console.log(`started: ${instance.status}; GET the url: ${await answers(instance.url)}`);
instance = await act(instance, "delete");
console.log(`deleted: ${instance.status}`);
