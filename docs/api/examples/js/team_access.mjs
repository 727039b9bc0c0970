// Build a division -> group -> team tree, give a user a role on the team, and invite someone to the group.

const BASE_URL = (process.env.BBWS_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
const TOKEN = process.env.BBWS_TOKEN
if (!TOKEN) {
  console.error('Set BBWS_TOKEN to a bearer token (see authentication.md).')
  process.exit(1)
}

function send (method, path, body) {
  return fetch(BASE_URL + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
}

async function post (path, body) {
  const response = await send('POST', path, body)
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`)
  return response.json()
}

const name = `Example Org ${crypto.randomUUID().slice(0, 8)}`
const tenant = await post('/v1.0/tenants', { organizationName: name, contactEmail: 'ops@example.com' })
console.log(`tenant ${tenant.tenantId} ${tenant.status}`)

// Each node links its children's collection: divisions -> groups -> teams.
let division = await post(tenant._links.divisions.href, { name: 'Marketing' })
const group = await post(division._links.children.href, { name: 'Campaigns' })
const team = await post(group._links.children.href, { name: 'Spring Launch' })
for (const node of [division, group, team]) {
  console.log(`${node.kind.toLowerCase()} ${node.nodeId} ${node.name} at ${node.path}`)
}

// A role on the team applies to the team only; on the group it would cover all its teams.
const userId = `dana-${crypto.randomUUID().slice(0, 8)}`
const member = await post(tenant._links.users.href, { userId, role: 'OPERATOR', nodeId: team.nodeId })
for (const assignment of member.assignments) {
  console.log(`${member.userId} is ${assignment.role} on ${assignment.nodeId}`)
}

const invitation = await post(tenant._links.invitations.href,
  { email: 'new.dev@example.com', role: 'VIEWER', nodeId: group.nodeId })
console.log(`invited ${invitation.email} as ${invitation.role} of ${invitation.nodeName}: ` +
  `${invitation.invitationId} ${invitation.status} until ${invitation.expiresAt}`)

// A node with children (or with roles held on it) cannot be deleted, so it links no `delete`.
division = await (await send('GET', division._links.self.href)).json()
console.log(`division links delete: ${'delete' in division._links ? 'yes' : 'no'}`)
const refused = await send('DELETE', division._links.self.href)
console.log(`delete division: ${refused.status} ${(await refused.json()).code}`)

const members = await (await send('GET', team._links.users.href)).json()
for (const item of members.items) {
  console.log(`team member: ${item.userId} (${item.assignments.map(a => a.role).join(', ')})`)
}
