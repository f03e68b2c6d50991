package nap

// Text is text a person reads, in several languages, keyed by locale: "tg" (Tajik), "ru"
// (Russian) or "en" (English). A missing key means no text in that language yet.
type Text map[string]string
