package main

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naptracker/naptracker/internal/checkpoint"
	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/service"
)

// auditCommand checks the audit trail and signs checkpoints of it.
func auditCommand(opts *config.Options) *cobra.Command {
	var held []string
	var publicKey string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit trail; exit non-zero, naming each problem, when it does not hold",
		Long: "Re-walks the hash chain, re-hashes the stored bytes of every piece of evidence, and checks the\n" +
			"trail against every checkpoint the server keeps and each one given with --checkpoint (a\n" +
			"checkpoint as GET /v1/audit/checkpoints serves it, saved by a partner): each must be validly\n" +
			"signed, and the trail must still reach its event with the hash it states.",
		Args: cobra.NoArgs,
		RunE: withDB(opts, func(c *cobra.Command, db *postgres.DB) error {
			var given []nap.Checkpoint
			for _, path := range held {
				cp, err := readCheckpoint(path)
				if err != nil {
					return err
				}
				given = append(given, cp)
			}
			var key ed25519.PublicKey
			if publicKey != "" {
				var err error
				if key, err = readPublicKey(publicKey); err != nil {
					return err
				}
			}
			svc := service.New(service.Deps{Store: db, Blobs: db.Blobs()})
			v, err := svc.VerifyAudit(c.Context(), given, key)
			if err != nil {
				return err
			}
			if !v.Valid() {
				return fmt.Errorf("the audit trail does not hold:\n  %s", strings.Join(v.Problems, "\n  "))
			}
			fmt.Fprintf(c.OutOrStdout(), "the audit chain is whole: %d events, head %s; stored evidence matches its digests; %d checkpoints hold\n",
				v.Events, v.Head, v.Checkpoints)
			return nil
		}),
	}
	verify.Flags().StringArrayVar(&held, "checkpoint", nil, "a checkpoint saved as JSON, as GET /v1/audit/checkpoints serves it (repeatable)")
	verify.Flags().StringVar(&publicKey, "public-key", "", "a PEM file of the public key every checkpoint must be signed with (GET /v1/audit/public-key's pem)")

	var out string
	keygen := &cobra.Command{
		Use:   "keygen",
		Short: "Make an Ed25519 key to sign checkpoints with (serve --audit-key)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			k, err := checkpoint.Generate()
			if err != nil {
				return err
			}
			if err := k.Save(out); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %s, key id %s; keep it secret and back it up\n", out, checkpoint.ID(k.Public()))
			return nil
		},
	}
	keygen.Flags().StringVar(&out, "out", "", "the file to write (it must not exist)")
	_ = keygen.MarkFlagRequired("out")

	sign := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign a checkpoint of the trail's head now, and print it as JSON",
		Args:  cobra.NoArgs,
		RunE: withDB(opts, func(c *cobra.Command, db *postgres.DB) error {
			k, err := auditKey(opts)
			if err != nil {
				return err
			}
			svc := service.New(service.Deps{Store: db, Blobs: db.Blobs(), Signer: k})
			cp, _, err := svc.SignCheckpoint(c.Context())
			if err != nil {
				return err
			}
			if cp.Seq == 0 {
				return errors.New("the audit trail is empty: there is nothing to sign")
			}
			enc := json.NewEncoder(c.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(httpapi.CheckpointOf(cp))
		}),
	}
	sign.Flags().StringVar(&opts.AuditKey, "audit-key", opts.AuditKey, "the key file audit keygen wrote")

	audit := &cobra.Command{Use: "audit", Short: "Check the audit trail and sign checkpoints of it"}
	audit.AddCommand(verify, keygen, readsEnv(sign))
	return audit
}

// auditKey loads the key the options name; an error when they name none.
func auditKey(opts *config.Options) (service.Signer, error) {
	if opts.AuditKey == "" {
		return nil, fmt.Errorf("no audit key: pass --audit-key or set %s", config.AuditKeyEnv)
	}
	return checkpoint.Load(opts.AuditKey)
}

// readCheckpoint reads a checkpoint saved as the API serves it.
func readCheckpoint(path string) (nap.Checkpoint, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the operator names the file
	if err != nil {
		return nap.Checkpoint{}, err
	}
	var c httpapi.Checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return nap.Checkpoint{}, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	cp, err := c.Nap()
	if err != nil {
		return nap.Checkpoint{}, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return cp, nil
}

// readPublicKey reads an Ed25519 public key from a PEM file.
func readPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the operator names the file
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block", path)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s is not an Ed25519 public key", path)
	}
	return pub, nil
}
