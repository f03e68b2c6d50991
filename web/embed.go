// Package web holds the pages naptracker serves beside its API, embedded in the binary so that
// nothing a browser loads comes from anywhere else: the API reference (docs/, with the Swagger
// UI bundle build.sh copies from npm) and the partner dashboard (dashboard/, whose app.js
// build.sh bundles from dashboard/src and the TypeScript SDK).
package web

import "embed"

// Files are the pages and their assets, at the paths below this folder.
//
//go:embed docs/index.html docs/init.js docs/assets dashboard/index.html dashboard/dashboard.css dashboard/app.js
var Files embed.FS
