// Retry a create safely with `Idempotency-Key`, and update without losing changes with `If-Match`.

const BASE_URL = (process.env.BBWS_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
const TOKEN = process.env.BBWS_TOKEN
if (!TOKEN) {
  console.error('Set BBWS_TOKEN to a bearer token (see authentication.md).')
  process.exit(1)
}

function send (method, path, body, headers = {}) {
  return fetch(BASE_URL + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
}

// One key per intended create: resending it (after a timeout, say) cannot make a second tenant.
const key = { 'Idempotency-Key': crypto.randomUUID() }
const body = { organizationName: `Example Org ${crypto.randomUUID().slice(0, 8)}`, contactEmail: 'ops@example.com' }
const first = await send('POST', '/v1.0/tenants', body, key)
const again = await send('POST', '/v1.0/tenants', body, key)
const tenantId = (await first.json()).tenantId
console.log(`create: ${first.status} ${tenantId}`)
const replayed = again.headers.get('Idempotent-Replayed')
console.log(`same key, same body: ${again.status} ${(await again.json()).tenantId} (Idempotent-Replayed: ${replayed})`)
const other = await send('POST', '/v1.0/tenants', { ...body, tier: 'ENTERPRISE' }, key)
console.log(`same key, other body: ${other.status} ${(await other.json()).code}`)

const url = first.headers.get('Location')
const etag = first.headers.get('ETag')
const updated = await send('PUT', url, { tier: 'PROFESSIONAL' }, { 'If-Match': etag })
console.log(`update with If-Match ${etag}: ${updated.status}, tier ${(await updated.json()).tier}, ` +
  `ETag ${updated.headers.get('ETag')}`)
const stale = await send('PUT', url, { tier: 'ENTERPRISE' }, { 'If-Match': etag })
console.log(`update with stale If-Match ${etag}: ${stale.status} ${(await stale.json()).code}`)
const cached = await send('GET', url, undefined, { 'If-None-Match': updated.headers.get('ETag') })
console.log(`read with If-None-Match ${updated.headers.get('ETag')}: ${cached.status}`)
