package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/export"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/service"
)

// errRowsRefused ends an import some of whose rows were refused, so a script sees it failed.
var errRowsRefused = errors.New("rows refused: nothing written")

// importCommand takes back a matrix a ministry edited, as POST /v1/periods/{id}/imports does,
// on behalf of the user --as names and with that user's rights.
func importCommand(opts *config.Options) *cobra.Command {
	var period, as string
	var commit bool
	cmd := &cobra.Command{
		Use:   "import --period ID --as EMAIL [--commit] FILE",
		Short: "Import progress from an edited matrix (CSV or XLSX) as draft updates",
		Long: "Reads the implementation matrix as the export writes it, in any of its languages, and\n" +
			"drafts progress updates for the period from the rows that differ from what the matrix\n" +
			"says today, on behalf of the user --as names, with that user's rights. A dry run by\n" +
			"default; with --commit, every draft is written in one transaction, or none when any row\n" +
			"is refused. Prints one line per row that changes or is refused; exits non-zero when a\n" +
			"row is refused.",
		Args: cobra.ExactArgs(1),
		RunE: withDB(opts, func(c *cobra.Command, db *postgres.DB) error {
			f, err := os.Open(c.Flags().Arg(0))
			if err != nil {
				return err
			}
			defer func() { _ = f.Close() }() // read only
			lang, rows, err := export.ReadMatrix(f)
			if err != nil {
				return err
			}
			enforcer, err := authz.New(c.Context(), db)
			if err != nil {
				return err
			}
			svc := service.New(service.Deps{Store: db, Authorizer: enforcer})
			ctx, err := svc.ActAs(c.Context(), as)
			if err != nil {
				return err
			}
			// One request id names the whole import in the audit trail, as a request's does.
			id := make([]byte, 12)
			_, _ = rand.Read(id)
			ctx = nap.NewContextWithRequestID(ctx, hex.EncodeToString(id))
			im, err := svc.Import(ctx, period, lang, rows, commit)
			if err != nil {
				return err
			}
			return printImport(c.OutOrStdout(), im, nap.RequestIDFromContext(ctx))
		}),
	}
	cmd.Flags().StringVar(&period, "period", "", "the reporting period's id (required)")
	cmd.Flags().StringVar(&as, "as", "", "the email of the user the drafts are of; the import has that user's rights (required)")
	cmd.Flags().BoolVar(&commit, "commit", false, "write the drafts; without it, a dry run")
	_ = cmd.MarkFlagRequired("period")
	_ = cmd.MarkFlagRequired("as")
	return cmd
}

// printImport writes a line for each row that changes or is refused, the counts, and what
// was written.
func printImport(w io.Writer, im nap.Import, requestID string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range im.Rows {
		switch r.Action {
		case nap.ImportUnchanged:
		case nap.ImportError:
			why := make([]string, len(r.Errors))
			for i, e := range r.Errors {
				why[i] = e.Column + ": " + e.Reason
			}
			fmt.Fprintf(tw, "row %d\t%s\t%s\t%s\n", r.Row, r.Code, r.Action, strings.Join(why, "; "))
		default:
			fmt.Fprintf(tw, "row %d\t%s\t%s\t%s\n", r.Row, r.Code, r.Action, r.UpdateID)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d to create, %d to update, %d unchanged, %d refused (period %s, headings in %s)\n",
		im.Count(nap.ImportCreate), im.Count(nap.ImportUpdate), im.Count(nap.ImportUnchanged), im.Count(nap.ImportError),
		im.Period.Label, im.Language)
	switch {
	case im.Count(nap.ImportError) > 0:
		return errRowsRefused
	case im.Committed:
		fmt.Fprintf(w, "written in one transaction, request %s in the audit trail\n", requestID)
	default:
		fmt.Fprintln(w, "dry run: nothing written; run again with --commit to write")
	}
	return nil
}
