// Reads a portal of `trail emulate` through @2bad/bitrix, a popular
// third-party client, exactly as an integration would, and compares what it
// sees with what the emulator was told to generate.
//
//   node check.cjs WEBHOOK_URL DEALS LEADS SPA_ITEMS
const Bitrix = require('@2bad/bitrix').default

async function main () {
  const [url, deals, leads, items] = process.argv.slice(2)
  const b = Bitrix(url)
  const got = {}
  // list pages through every record with batch, as the client does.
  got.deals = (await b.deals.list({ select: ['ID', 'TITLE'] })).result.length
  got.leads = (await b.leads.list({ select: ['ID'] })).result.length
  const first = await b.deals.get('1')
  got.first_deal_has_title = typeof first.result.TITLE === 'string' && first.result.TITLE !== ''
  const types = await b.call('crm.type.list', {})
  const spa = types.result.types[0].entityTypeId
  got.spa_items = (await b.call('crm.item.list', { entityTypeId: spa, select: ['id'] })).total
  const want = { deals: +deals, leads: +leads, first_deal_has_title: true, spa_items: +items }
  console.log(JSON.stringify(got))
  for (const k of Object.keys(want)) {
    if (got[k] !== want[k]) throw new Error(`${k}: got ${got[k]}, want ${want[k]}`)
  }
}

main().catch(err => { console.error(err.message || err); process.exit(1) })
