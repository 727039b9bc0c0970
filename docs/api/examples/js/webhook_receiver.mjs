// Receive BBWS webhooks: check each delivery's signature, skip repeated deliveries, print the event.

import { createServer } from 'node:http'
import { Webhook } from 'standardwebhooks'

const SECRET = process.env.BBWS_WEBHOOK_SECRET
if (!SECRET) {
  console.error("Set BBWS_WEBHOOK_SECRET to the endpoint's whsec_ secret.")
  process.exit(1)
}
const PORT = Number(process.argv[2] ?? 8000)
const webhook = new Webhook(SECRET)

// Deliveries come at least once: remember the ids handled (a real receiver keeps them in its database).
const seen = new Set()

// The receiver's own work; keep it short (or queue it), BBWS waits 10 s for the answer.
function handle (event) {
  console.log(`verified ${event.id} ${event.type} ${event.subject}`)
}

const server = createServer((request, response) => {
  const chunks = []
  request.on('data', chunk => chunks.push(chunk))
  request.on('end', () => {
    const body = Buffer.concat(chunks) // the exact bytes that were signed
    let event
    try {
      event = webhook.verify(body, request.headers) // checks webhook-signature and webhook-timestamp
    } catch (error) {
      console.log(`rejected: ${error.message}`)
      response.writeHead(401).end()
      return
    }
    if (seen.has(event.id)) {
      console.log(`repeated ${event.id} ${event.type}`)
    } else {
      seen.add(event.id)
      handle(event)
    }
    response.writeHead(204).end()
  })
})

server.listen(PORT, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`)
})
