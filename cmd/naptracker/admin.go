package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/postgres"
)

// withDB makes the body of a command that works on the database the options name: it opens
// the database, runs run, and closes it.
func withDB(opts *config.Options, run func(c *cobra.Command, db *postgres.DB) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, _ []string) error {
		if opts.DatabaseURL == "" {
			return fmt.Errorf("no database: set %s or pass --database-url", config.DatabaseURLEnv)
		}
		db, err := postgres.Open(c.Context(), opts.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		return run(c, db)
	}
}

// appRolePasswordEnv gives the password of the role serve runs as, when migrate up creates it
// with --app-role-login.
const appRolePasswordEnv = "NAPTRACKER_APP_ROLE_PASSWORD" //nolint:gosec // the name of a variable, not a secret

func migrateCommand(opts *config.Options) *cobra.Command {
	var app postgres.AppRole
	cmd := &cobra.Command{Use: "migrate", Short: "Apply, roll back or list schema migrations"}
	sub := func(use, short string, run func(*postgres.Migrator, *cobra.Command) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: withDB(opts, func(c *cobra.Command, db *postgres.DB) error {
			m, err := postgres.NewMigrator(db)
			if err != nil {
				return err
			}
			return run(m, c)
		})}
	}
	up := sub("up", "Apply every pending migration, and grant the role serve runs as what it needs", func(m *postgres.Migrator, c *cobra.Command) error {
		if err := m.Up(c.Context(), c.OutOrStdout()); err != nil {
			return err
		}
		if app.Name == "" {
			return nil
		}
		app.Password = os.Getenv(appRolePasswordEnv)
		if err := m.GrantAppRole(c.Context(), app); err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "granted role %s what serve needs, and nothing more\n", app.Name)
		return nil
	})
	// The database is created first when it is missing, as serve --migrate does.
	up.PreRunE = func(c *cobra.Command, _ []string) error {
		if opts.DatabaseURL == "" {
			return nil // withDB says what is missing
		}
		created, err := postgres.CreateDatabase(c.Context(), opts.DatabaseURL)
		if created {
			fmt.Fprintln(c.OutOrStdout(), "created the database")
		}
		return err
	}
	up.Long = "Creates the database if it is missing and applies every pending migration, as the role that owns\n" +
		"the schema. With --app-role, it then creates\n" +
		"that role if it is missing (NOLOGIN, unless --app-role-login) and grants it exactly what serve needs:\n" +
		"no table of its own, no TRUNCATE, no change to the audit trail or to stored content. Serve runs as it.\n" +
		"Run it again after every upgrade. $" + appRolePasswordEnv + ", when set, is its password."
	up.Flags().StringVar(&app.Name, "app-role", "", "the role serve runs as: create it if missing and grant it what serve needs")
	up.Flags().BoolVar(&app.Login, "app-role-login", false, "let --app-role log in (with $"+appRolePasswordEnv+" as its password, when set)")
	cmd.AddCommand(
		up,
		sub("down", "Roll back the latest migration", func(m *postgres.Migrator, c *cobra.Command) error {
			return m.Down(c.Context(), c.OutOrStdout())
		}),
		sub("status", "List migrations and whether each is applied", func(m *postgres.Migrator, c *cobra.Command) error {
			return m.Status(c.Context(), c.OutOrStdout())
		}),
	)
	return cmd
}

func seedCommand(opts *config.Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load the reference plan, its recommendations and organizations where absent",
		Long: "Adds whatever of the reference data is missing, matched by code; never changes a row that\n" +
			"exists, so running it again changes nothing.",
		Args: cobra.NoArgs,
		RunE: withDB(opts, func(c *cobra.Command, db *postgres.DB) error {
			rep, err := loadReference(c.Context(), db)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), rep)
			return nil
		}),
	}
	cmd.AddCommand(syntheticCommand(opts))
	return cmd
}

func openapiCommand() *cobra.Command {
	var format, version, outDir string
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Print the OpenAPI document, or write both versions into a folder",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			spec := httpapi.Spec()
			if outDir != "" {
				return writeSpecs(spec, outDir)
			}
			var b []byte
			var err error
			switch {
			case format == "yaml" && version == "3.1":
				b, err = spec.YAML()
			case format == "yaml" && version == "3.0":
				b, err = spec.DowngradeYAML()
			case format == "json" && version == "3.1":
				b, err = spec.MarshalJSON()
			case format == "json" && version == "3.0":
				b, err = spec.Downgrade()
			default:
				return fmt.Errorf("--format must be json or yaml and --openapi 3.1 or 3.0")
			}
			if err != nil {
				return err
			}
			_, err = c.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "yaml", "json or yaml")
	cmd.Flags().StringVar(&version, "openapi", "3.1", "OpenAPI version: 3.1 or 3.0")
	cmd.Flags().StringVar(&outDir, "out", "", "write openapi.yaml (3.1) and openapi-3.0.yaml into this folder")
	return cmd
}

func writeSpecs(spec interface {
	YAML() ([]byte, error)
	DowngradeYAML() ([]byte, error)
}, dir string) error {
	for name, render := range map[string]func() ([]byte, error){
		"openapi.yaml": spec.YAML, "openapi-3.0.yaml": spec.DowngradeYAML,
	} {
		b, err := render()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil { //nolint:gosec // the spec is public and committed
			return err
		}
	}
	return nil
}
