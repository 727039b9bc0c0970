// Make a site from the `business` template, check it, back it up, promote it to sit, and roll that back.
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

const json = async (method, path, body) => (await call(method, path, body)).json();

// Read the Operation until it has finished (seconds on one machine, minutes on AWS).
async function waitFor(operationUrl) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const operation = await json("GET", operationUrl);
    if (FINISHED.includes(operation.status) || Date.now() > deadline) return operation;
    await sleep(500);
  }
}

// A 202 answer: wait for its Operation and say how it ended.
async function run(response, step) {
  const operation = await waitFor(response.headers.get("Location"));
  console.log(`${step}: ${operation.operationType} ${operation.status}`);
  if (operation.status !== "COMPLETED") throw new Error(`${step} failed: ${JSON.stringify(operation.error)}`);
  return operation.result;
}

const name = `Example Agency ${randomUUID().slice(0, 8)}`;
const tenantUrl = (await call("POST", "/v1.0/tenants", { organizationName: name, contactEmail: "ops@example.com" }))
  .headers.get("Location");
while ((await json("GET", tenantUrl)).status === "PENDING") await sleep(200); // onboarding runs in the background
for (const env of ["dev", "sit"]) {
  // a site lives in its tenant's instance for its environment
  await run(await call("POST", `${tenantUrl}/instances`, { environment: env, desiredCount: 1 }), `instance ${env}`);
}

const subdomain = `acme${randomUUID().replaceAll("-", "").slice(0, 6)}`;
const body = { siteName: "Acme Widgets", subdomain, environment: "dev", templateId: "business" };
const result = await run(await call("POST", `${tenantUrl}/sites`, body), "create");
const site = await json("GET", result._links.site.href);
const page = await fetch(site.url);
console.log(`site ${site.subdomain} is ${site.status}; GET its url: ${page.status}`);
console.log(`theme: ${site.declared.theme}`);

const health = await json("POST", site._links.health.href); // check now
const checks = health.checks.slice(0, 3).map((c) => `${c.name} ${c.status}`).join(", ");
console.log(`health: ${health.healthStatus} (${checks})`);

const backup = await run(await call("POST", site._links.backup.href), "backup");
console.log(`backup checksum is ${backup.checksum.length} hex digits`);

const plan = await json("POST", `${site._links.promote.href}?dryRun=true`, { target: "sit" });
console.log(`plan: target ${plan.targetSiteId === null ? "is new" : "exists"}; ${plan.files.added} files to add`);
const promoted = await run(await call("POST", site._links.promote.href, { target: "sit" }), "promote");
let sit = await json("GET", promoted._links.site.href);
console.log(`sit copy ${sit.subdomain} is ${sit.status}; same lineage: ${sit.lineageId === site.lineageId ? "yes" : "no"}`);

const promotions = (await json("GET", site._links.promotions.href)).items;
await run(await call("POST", promotions[0]._links.rollback.href), "rollback");
sit = await json("GET", `${tenantUrl}/sites/${sit.siteId}`);
console.log(`after the rollback the sit copy is ${sit.status}`);
