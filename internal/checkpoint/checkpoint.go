// Package checkpoint signs and checks checkpoints of the audit trail: the hash of the trail's
// event at a sequence number, and the time, signed with an Ed25519 key, as Certificate
// Transparency signs its tree heads. Whoever keeps a copy can later show that the trail still
// reaches it and was not rewritten before it.
package checkpoint

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// Key signs checkpoints.
type Key struct {
	private ed25519.PrivateKey
}

// Generate makes a new key.
func Generate() (Key, error) {
	_, private, err := ed25519.GenerateKey(rand.Reader)
	return Key{private: private}, err
}

// Load reads a key Save wrote: PEM, PKCS #8.
func Load(path string) (Key, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the operator names the key file
	if err != nil {
		return Key{}, fmt.Errorf("audit key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return Key{}, fmt.Errorf("audit key: %s holds no PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return Key{}, fmt.Errorf("audit key: %w", err)
	}
	private, ok := k.(ed25519.PrivateKey)
	if !ok {
		return Key{}, fmt.Errorf("audit key: %s is not an Ed25519 key", path)
	}
	return Key{private: private}, nil
}

// Save writes the key to a new file readable by its owner only; it never overwrites one.
func (k Key) Save(path string) error {
	der, err := x509.MarshalPKCS8PrivateKey(k.private)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // the operator names the key file
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// Public returns the public half of the key, which checks its signatures.
func (k Key) Public() ed25519.PublicKey { return k.private.Public().(ed25519.PublicKey) }

// ID names a public key: the first 16 hex digits of its SHA-256.
func ID(public ed25519.PublicKey) string {
	sum := sha256.Sum256(public)
	return hex.EncodeToString(sum[:8])
}

// PublicPEM is the public key as a PEM block, for those who keep it.
func PublicPEM(public ed25519.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(public)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// Sign signs the trail's head as of at (kept to the microsecond the database keeps).
func (k Key) Sign(head nap.AuditHead, at time.Time) nap.Checkpoint {
	cp := nap.Checkpoint{Seq: head.Seq, Head: head.Hash, SignedAt: at.UTC().Truncate(time.Microsecond),
		PublicKey: k.Public(), KeyID: ID(k.Public())}
	cp.Signature = ed25519.Sign(k.private, Statement(cp))
	return cp
}

// Statement is what a checkpoint's signature covers, as text anyone can write again.
func Statement(cp nap.Checkpoint) []byte {
	return fmt.Appendf(nil, "naptracker audit checkpoint\nseq %d\nhead %s\nsigned_at %s\n",
		cp.Seq, cp.Head, cp.SignedAt.UTC().Format(time.RFC3339Nano))
}

// Check checks a checkpoint's signature against its own public key, and that key against
// want when want is not nil.
func Check(cp nap.Checkpoint, want ed25519.PublicKey) error {
	if len(cp.PublicKey) != ed25519.PublicKeySize || ID(cp.PublicKey) != cp.KeyID {
		return errors.New("its key id does not name its public key")
	}
	if want != nil && !want.Equal(ed25519.PublicKey(cp.PublicKey)) {
		return fmt.Errorf("it is signed with key %s, not with the audit key %s", cp.KeyID, ID(want))
	}
	if !ed25519.Verify(cp.PublicKey, Statement(cp), cp.Signature) {
		return errors.New("its signature is not valid")
	}
	return nil
}
