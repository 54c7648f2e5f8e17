// Package b24 is a client for the Bitrix24 REST API, built for applications
// that talk to many portals at once.
//
// A [Client] speaks to one portal with one set of [Credentials]: an OAuth
// installation of a marketplace app ([OAuth]) or an incoming webhook
// ([Webhook]). Clients are cheap; the pieces that must be shared between all
// clients of a process (or of many processes) are passed in [Options]: the
// [Limiter] that keeps every request inside the portal's leaky bucket, the
// [Pacer] that keeps each method inside its execution-time budget, the
// [TokenStore] that serialises token refreshes, and the [Observer] that sees
// every HTTP request.
//
// The client follows the wire protocol the portals document:
//
//   - parameters are sent as a form POST with PHP-style nested keys
//     (filter[>ID]=5&select[]=ID), see [EncodeParams];
//   - every failure is an [*Error] value that matches sentinel errors such as
//     [ErrRateLimited] or [ErrExpiredToken] with errors.Is;
//   - batch requests carry up to 50 commands; [Batch] splits longer ones;
//   - full listings use keyset pagination chained inside one batch, so one
//     HTTP request returns up to 2,500 rows ([Client.List]), optionally over
//     several ID ranges at once ([ListOptions].Parallel).
//
// Rate limits are waited out before a request is sent (reserve, then wait), so
// a well-configured client never sees QUERY_LIMIT_EXCEEDED; when it still
// does (another application on the same address, a portal with a smaller
// bucket) it backs off and retries the call without losing it.
//
// Token refreshes go through the [TokenStore], which serialises them per
// portal: refresh tokens are single-use, so of all the clients that find the
// same expired token exactly one refreshes it and the others read the result.
// A refresh token the OAuth server no longer accepts ends in
// [ErrReauthRequired], recorded by the store, instead of endless retries.
//
// The package imports only the standard library, so it can be used outside
// the application that hosts it.
package b24
