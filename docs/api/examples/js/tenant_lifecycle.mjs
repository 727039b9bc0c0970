// Create a tenant, park it, unpark it, and follow each lifecycle change through its Operation.

const BASE_URL = (process.env.BBWS_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
const TOKEN = process.env.BBWS_TOKEN
if (!TOKEN) {
  console.error('Set BBWS_TOKEN to a bearer token (see authentication.md).')
  process.exit(1)
}
const FINISHED = ['COMPLETED', 'FAILED', 'CANCELLED']

async function request (method, path, body) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return response
}

// Read the Operation until it has finished (lifecycle work may run in the background).
async function waitFor (operationUrl) {
  const deadline = Date.now() + 60_000
  while (true) {
    const operation = await (await request('GET', operationUrl)).json()
    if (FINISHED.includes(operation.status) || Date.now() > deadline) return operation
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
}

// Follow the tenant's `_links` entry for an action; it is only there when the status allows it.
async function act (tenant, action, body) {
  const link = tenant._links[action]
  if (!link) throw new Error(`${action} is not allowed while the tenant is ${tenant.status}`)
  const response = await request(link.method, link.href, body) // 202: the body is the Operation
  const operation = await waitFor(response.headers.get('Location'))
  console.log(`${action}: operation ${operation.operationId} ${operation.status} - ${operation.message}`)
  if (operation.status !== 'COMPLETED') throw new Error(`${action} did not complete: ${JSON.stringify(operation.error)}`)
  return show(await (await request('GET', operation.result._links.tenant.href)).json())
}

function show (tenant) {
  const actions = Object.entries(tenant._links).filter(([, link]) => link.method).map(([name]) => name)
  console.log(`tenant ${tenant.tenantId} is ${tenant.status}; actions: ${actions.join(', ')}`)
  return tenant
}

const name = `Example Org ${crypto.randomUUID().slice(0, 8)}`
const created = await request('POST', '/v1.0/tenants', { organizationName: name, contactEmail: 'ops@example.com' })
let tenant = await created.json()
console.log(`created ${tenant.tenantId} (${name}) at ${created.headers.get('Location')}`)
show(tenant)
tenant = await act(tenant, 'park', { reason: 'Closed for the season, back in spring' })
tenant = await act(tenant, 'unpark')
