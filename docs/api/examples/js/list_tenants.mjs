// List every tenant, page by page, following `_links.next` until `moreAvailable` is false.
// Usage: node list_tenants.mjs [PAGE_SIZE [STATUS]]

const BASE_URL = (process.env.BBWS_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
const TOKEN = process.env.BBWS_TOKEN
if (!TOKEN) {
  console.error('Set BBWS_TOKEN to a bearer token (see authentication.md).')
  process.exit(1)
}

async function get (path) {
  const response = await fetch(BASE_URL + path, { headers: { Authorization: `Bearer ${TOKEN}` } })
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`)
  return response.json()
}

const params = new URLSearchParams({ pageSize: process.argv[2] ?? '20' })
if (process.argv[3]) params.set('status', process.argv[3])
let count = 0
let pages = 0
let page = await get(`/v1.0/tenants?${params}`)
while (true) {
  pages += 1
  for (const tenant of page.items) {
    console.log(`${tenant.tenantId}  ${tenant.status.padEnd(13)}  ${tenant.organizationName}`)
  }
  count += page.items.length
  if (!page.moreAvailable) break
  // The next link carries the same filters and an opaque cursor; use it as it is.
  page = await get(page._links.next.href)
}
console.log(`${count} tenants on ${pages} pages`)
