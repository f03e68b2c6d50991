// Package nap is the domain of naptracker: plans, measures, the recommendations behind them,
// the organizations that carry them out, the vocabularies they share, and the error codes
// every layer speaks. It imports the standard library only.
package nap
