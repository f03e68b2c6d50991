package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/naptracker/naptracker/internal/nap"
)

// ChunkSize is the size of the pieces content is stored in: large enough to keep the rows
// few, small enough that a file is never held whole in memory.
const ChunkSize = 1 << 20

// Blobs stores file content in PostgreSQL as content-addressed chunks, so that every server
// reads what any one stored. Content is written inside the caller's transaction (InTx): an
// upload that fails leaves nothing behind.
type Blobs struct{ db *DB }

// Blobs returns the database's content store.
func (db *DB) Blobs() *Blobs { return &Blobs{db: db} }

// Put stores what r yields, up to io.EOF, and returns its SHA-256 and size; any other error of
// r, io.ErrUnexpectedEOF of a body cut short above all, stores nothing. Content stored already
// is kept once. It streams: a chunk at a time is in memory. It runs in a transaction of its own
// (content is not audited and takes no lock of the audit trail), or in the caller's.
func (b *Blobs) Put(ctx context.Context, r io.Reader) (nap.Blob, error) {
	var blob nap.Blob
	err := b.db.inPlainTx(ctx, func(ctx context.Context) error {
		// Chunks go under a random name first; the content's name is known only at the end.
		staging := make([]byte, 32)
		_, _ = rand.Read(staging)
		key := hex.EncodeToString(staging)
		tx := b.db.conn(ctx)
		if err := tx.Exec(`INSERT INTO blobs (sha256, size_bytes) VALUES (?, 0)`, key).Error; err != nil {
			return err
		}
		h := sha256.New()
		buf := make([]byte, ChunkSize)
		for seq := 0; ; seq++ {
			n, err := fill(r, buf)
			if n > 0 {
				h.Write(buf[:n])
				blob.Size += int64(n)
				if err := tx.Exec(`INSERT INTO blob_chunks (sha256, seq, data) VALUES (?, ?, ?)`, key, seq, buf[:n]).Error; err != nil {
					return err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
		}
		blob.SHA256 = hex.EncodeToString(h.Sum(nil))
		var exists int64
		if err := tx.Table("blobs").Where("sha256 = ?", blob.SHA256).Count(&exists).Error; err != nil {
			return err
		}
		if exists > 0 {
			return tx.Exec(`DELETE FROM blobs WHERE sha256 = ?`, key).Error
		}
		return tx.Exec(`UPDATE blobs SET sha256 = ?, size_bytes = ? WHERE sha256 = ?`, blob.SHA256, blob.Size, key).Error
	})
	return blob, err
}

// fill reads into buf until it is full or r fails; io.EOF only at the true end of r.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Release deletes content that no evidence refers to any more.
func (b *Blobs) Release(ctx context.Context, digest string) error {
	return b.db.conn(ctx).Exec(`DELETE FROM blobs WHERE sha256 = ?
		AND NOT EXISTS (SELECT 1 FROM evidence WHERE sha256 = ?)`, digest, digest).Error
}

// Open returns a reader of stored content that fetches one chunk at a time.
func (b *Blobs) Open(ctx context.Context, digest string) (nap.BlobReader, error) {
	var row struct{ SizeBytes int64 }
	res := b.db.conn(ctx).Raw(`SELECT size_bytes FROM blobs WHERE sha256 = ?`, digest).Scan(&row)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, nap.Errorf(nap.ENOTFOUND, "content not found")
	}
	return &blobReader{ctx: ctx, db: b.db, digest: digest, size: row.SizeBytes, chunk: -1}, nil
}

type blobReader struct {
	ctx    context.Context
	db     *DB
	digest string
	size   int64
	pos    int64
	chunk  int    // number of the chunk in data, -1 for none
	data   []byte // that chunk
}

func (r *blobReader) Size() int64 { return r.size }

func (r *blobReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	seq := int(r.pos / ChunkSize)
	if seq != r.chunk {
		var row struct{ Data []byte }
		err := r.db.conn(r.ctx).Raw(`SELECT data FROM blob_chunks WHERE sha256 = ? AND seq = ?`, r.digest, seq).Scan(&row).Error
		if err != nil {
			return 0, err
		}
		if len(row.Data) == 0 {
			return 0, fmt.Errorf("content %s lacks chunk %d", r.digest, seq)
		}
		r.chunk, r.data = seq, row.Data
	}
	n := copy(p, r.data[r.pos-int64(seq)*ChunkSize:])
	r.pos += int64(n)
	return n, nil
}

func (r *blobReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: before the start")
	}
	r.pos = offset
	return offset, nil
}

func (r *blobReader) Close() error { r.data = nil; return nil }
