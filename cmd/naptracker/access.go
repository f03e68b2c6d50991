package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/service"
)

// usersCommand lets an operator with database access create users, the first admin above all.
func usersCommand(opts *config.Options) *cobra.Command {
	var email, name, role, org string
	add := &cobra.Command{
		Use:   "add",
		Short: "Create a user, optionally with a role",
		Long: "Creates a user and, with --role, a membership: a global role (admin, coordinator,\n" +
			"auditor, partner) without --org, or an organization's role (approver, focal_point,\n" +
			"viewer) with --org CODE.",
		Args: cobra.NoArgs,
		RunE: withDB(opts, func(c *cobra.Command, db *postgres.DB) error {
			svc := service.New(service.Deps{Store: db})
			if role != "" {
				// Checked before anything is created, so a typo leaves no user behind.
				if err := nap.Role(role).CheckAssignment(org); err != nil {
					return err
				}
				if org != "" {
					if _, err := svc.GetOrganization(c.Context(), org); err != nil {
						return err
					}
				}
			}
			u, err := svc.CreateUser(c.Context(), email, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "user %s <%s> id %s\n", u.Name, u.Email, u.ID)
			if role == "" {
				return nil
			}
			m, err := svc.GrantMembership(c.Context(), u.ID, nap.Role(role), org, nil, nil)
			if err != nil {
				return err
			}
			where := "everywhere"
			if m.Organization != "" {
				where = "in " + m.Organization
			}
			fmt.Fprintf(c.OutOrStdout(), "role %s %s\n", m.Role, where)
			return nil
		}),
	}
	add.Flags().StringVar(&email, "email", "", "email address (required)")
	add.Flags().StringVar(&name, "name", "", "full name (required)")
	add.Flags().StringVar(&role, "role", "", "role to grant: admin, coordinator, auditor, partner, approver, focal_point or viewer")
	add.Flags().StringVar(&org, "org", "", "organization code, for approver, focal_point and viewer")
	_ = add.MarkFlagRequired("email")
	_ = add.MarkFlagRequired("name")
	users := &cobra.Command{Use: "users", Short: "Manage users"}
	users.AddCommand(add)
	return users
}

// tokensCommand lets an operator issue a token; the secret is the last line of stdout.
func tokensCommand(opts *config.Options) *cobra.Command {
	var email, name string
	var ttl time.Duration
	issue := &cobra.Command{
		Use:   "issue",
		Short: "Issue an API token for a user and print its secret on the last line",
		Args:  cobra.NoArgs,
		RunE: withDB(opts, func(c *cobra.Command, db *postgres.DB) error {
			// Every token expires: the longest a token may live is the most --ttl may say.
			if ttl <= 0 || ttl > service.MaxTokenTTL {
				return fmt.Errorf("--ttl %s: a token lives between a second and %s", ttl, service.MaxTokenTTL)
			}
			svc := service.New(service.Deps{Store: db})
			u, err := svc.UserByEmail(c.Context(), email)
			if err != nil {
				return err
			}
			t, secret, err := svc.IssueToken(c.Context(), u.ID, name, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "token %q for %s, id %s, expires %s\n%s\n",
				t.Name, u.Email, t.ID, t.ExpiresAt.UTC().Format(time.RFC3339), secret)
			return nil
		}),
	}
	issue.Flags().StringVar(&email, "email", "", "the user's email (required)")
	issue.Flags().StringVar(&name, "name", "command line", "what the token is for")
	issue.Flags().DurationVar(&ttl, "ttl", 720*time.Hour, "how long the token lives")
	_ = issue.MarkFlagRequired("email")
	tokens := &cobra.Command{Use: "tokens", Short: "Manage API tokens"}
	tokens.AddCommand(issue)
	return tokens
}
