// Read problem+json errors (code, detail, field errors) and retry after a 429 as `Retry-After` says.

const BASE_URL = (process.env.BBWS_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
const TOKEN = process.env.BBWS_TOKEN
if (!TOKEN) {
  console.error('Set BBWS_TOKEN to a bearer token (see authentication.md).')
  process.exit(1)
}
const MAX_ATTEMPTS = 10

// An error answer: `problem` is the problem+json body (type, title, status, detail, code, requestId...).
class ApiProblem extends Error {
  constructor (problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`)
    this.problem = problem
  }
}

let waits = 0

// Send a request; on 429 wait `Retry-After` seconds and send it again; throw ApiProblem on errors.
async function call (method, path, body) {
  let response
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    response = await fetch(BASE_URL + path, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    if (response.status !== 429) break
    const delay = Number(response.headers.get('Retry-After') ?? '1')
    waits += 1
    console.log(`429 ${(await response.json()).code}: waiting ${delay} s`)
    await new Promise(resolve => setTimeout(resolve, delay * 1000))
  }
  if (response.status >= 400) {
    if ((response.headers.get('Content-Type') ?? '').startsWith('application/problem+json')) {
      throw new ApiProblem(await response.json())
    }
    throw new Error(`${method} ${path}: ${response.status}`)
  }
  return response
}

function report (error) {
  if (!(error instanceof ApiProblem)) throw error
  console.log(error.message)
  for (const fieldError of error.problem.errors ?? []) console.log(`  ${fieldError.field}: ${fieldError.message}`)
  if (error.problem.allowedTransitions) {
    const allowed = error.problem.allowedTransitions.join(', ')
    console.log(`  currentStatus ${error.problem.currentStatus}; allowed: ${allowed}`)
  }
  console.log(`  requestId ${error.problem.requestId}`)
}

// 400: every field that is wrong is listed in `errors`
await call('POST', '/v1.0/tenants', { organizationName: 'X', contactEmail: 'not-an-email' }).catch(report)
// 404: a tenant that does not exist, or that this token may not see
await call('GET', '/v1.0/tenants/ten_00000000000000000000000000').catch(report)
const name = `Example Org ${crypto.randomUUID().slice(0, 8)}`
const tenant = await call('POST', '/v1.0/tenants', { organizationName: name, contactEmail: 'ops@example.com' })
const tenantUrl = tenant.headers.get('Location')
// 422: the tenant is ACTIVE, so it cannot be unparked
await call('POST', `${tenantUrl}/lifecycle/unpark`).catch(report)
for (let i = 0; i < 10; i++) await call('GET', tenantUrl)
console.log(`10 reads done; waited ${waits} times after 429`)
