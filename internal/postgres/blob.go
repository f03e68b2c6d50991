package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/naptracker/naptracker/internal/nap"
)

// ChunkSize is the size of the pieces content is stored in: large enough to keep the rows
// few, small enough that a file is never held whole in memory.
const ChunkSize = 1 << 20

// Blobs stores file content in PostgreSQL as content-addressed chunks, so that every server
// reads what any one stored. Content is append-only (the schema refuses any change to what
// evidence refers to): an upload is staged under a random name, then stored under its digest
// in the transaction that records its evidence.
type Blobs struct{ db *DB }

// Blobs returns the database's content store.
func (db *DB) Blobs() *Blobs { return &Blobs{db: db} }

// Put stages what r yields, up to io.EOF, and returns its SHA-256, its size and its staging
// name; any other error of r, io.ErrUnexpectedEOF of a body cut short above all, stages
// nothing. It streams: a chunk at a time is in memory. It runs in a transaction of its own,
// which takes no lock anyone else waits for.
func (b *Blobs) Put(ctx context.Context, r io.Reader) (nap.Blob, error) {
	var blob nap.Blob
	err := b.db.inPlainTx(ctx, func(ctx context.Context) error {
		staging := make([]byte, 32)
		_, _ = rand.Read(staging)
		blob.Staged = hex.EncodeToString(staging)
		tx := b.db.conn(ctx)
		// Content staged long ago and never stored goes first.
		if err := tx.Exec(`SELECT discard_staged('')`).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO blobs (sha256, size_bytes, staged) VALUES (?, 0, true)`, blob.Staged).Error; err != nil {
			return err
		}
		h := sha256.New()
		buf := make([]byte, ChunkSize)
		for seq := 0; ; seq++ {
			n, err := fill(r, buf)
			if err != nil && !errors.Is(err, io.EOF) {
				return err // the reader's error, before any other the failed read may bring
			}
			if n > 0 {
				h.Write(buf[:n])
				blob.Size += int64(n)
				if err := tx.Exec(`INSERT INTO blob_chunks (sha256, seq, data) VALUES (?, ?, ?)`, blob.Staged, seq, buf[:n]).Error; err != nil {
					return err
				}
			}
			if err != nil {
				break
			}
		}
		blob.SHA256 = hex.EncodeToString(h.Sum(nil))
		return nil
	})
	return blob, err
}

// Store gives staged content its digest, which the database checks, inside the caller's
// transaction; content stored under that digest already is kept instead, and held until the transaction ends, so that a
// release of it meanwhile waits and then finds it referred to.
func (b *Blobs) Store(ctx context.Context, blob nap.Blob) error {
	return b.db.conn(ctx).Exec(`SELECT store_content(?, ?)`, blob.Staged, blob.SHA256).Error
}

// Discard drops staged content that will not be stored.
func (b *Blobs) Discard(ctx context.Context, blob nap.Blob) error {
	return b.db.conn(ctx).Exec(`SELECT discard_staged(?)`, blob.Staged).Error
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

// Release removes content that no evidence refers to any more, as the audit trail records.
func (b *Blobs) Release(ctx context.Context, digest string) error {
	return b.db.conn(ctx).Exec(`SELECT release_content(?)`, digest).Error
}

// Open returns a reader of stored content that fetches one chunk at a time and checks what it
// reads against the content's digest: a chunk missing or of the wrong size is an error when it
// is reached, and when the content is read from the start, bytes that do not hash to the digest
// make the last chunk an error instead of being returned.
func (b *Blobs) Open(ctx context.Context, digest string) (nap.BlobReader, error) {
	var row struct{ SizeBytes int64 }
	res := b.db.conn(ctx).Raw(`SELECT size_bytes FROM blobs WHERE sha256 = ? AND NOT staged`, digest).Scan(&row)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, nap.Errorf(nap.ENOTFOUND, "content not found")
	}
	return &blobReader{ctx: ctx, db: b.db, digest: digest, size: row.SizeBytes, chunk: -1, hash: sha256.New()}, nil
}

// Verify reads stored content whole and fails with EINTEGRITY when its bytes are not what
// its digest says.
func (b *Blobs) Verify(ctx context.Context, digest string) error {
	r, err := b.Open(ctx, digest)
	if err != nil {
		return err
	}
	defer r.Close() //nolint:errcheck // a reader of stored chunks; closing only drops its buffer
	return r.Check(true)
}

type blobReader struct {
	ctx    context.Context
	db     *DB
	digest string
	size   int64
	pos    int64
	chunk  int    // number of the chunk in data, -1 for none
	data   []byte // that chunk
	// hash holds the chunks read in order from the first, hashed up to hashed; a seek
	// elsewhere leaves it behind, and the content is then not checked as a whole.
	hash   hash.Hash
	hashed int
}

func (r *blobReader) Size() int64 { return r.size }

func (r *blobReader) Check(whole bool) error {
	if !whole {
		if r.size == 0 {
			_, err := r.Read(nil)
			return ignoreEOF(err)
		}
		return r.load(0)
	}
	check := &blobReader{ctx: r.ctx, db: r.db, digest: r.digest, size: r.size, chunk: -1, hash: sha256.New()}
	_, err := io.Copy(io.Discard, check)
	return err
}

func ignoreEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		if r.size == 0 && r.digest != emptyDigest {
			return 0, r.corrupt("it is empty")
		}
		return 0, io.EOF
	}
	seq := int(r.pos / ChunkSize)
	if seq != r.chunk {
		if err := r.load(seq); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.data[r.pos-int64(seq)*ChunkSize:])
	r.pos += int64(n)
	return n, nil
}

// load reads chunk seq and checks it: present, of the size the content's size gives it, and,
// when it is the last of a reading from the start, completing the content's digest.
func (r *blobReader) load(seq int) error {
	var row struct{ Data []byte }
	res := r.db.conn(r.ctx).Raw(`SELECT data FROM blob_chunks WHERE sha256 = ? AND seq = ?`, r.digest, seq).Scan(&row)
	if res.Error != nil {
		return res.Error
	}
	want := min(ChunkSize, r.size-int64(seq)*ChunkSize)
	if res.RowsAffected == 0 || int64(len(row.Data)) != want {
		return r.corrupt(fmt.Sprintf("chunk %d is missing or of %d bytes, not %d", seq, len(row.Data), want))
	}
	if seq == r.hashed {
		r.hash.Write(row.Data)
		r.hashed++
		last := int64(seq+1)*ChunkSize >= r.size
		if last && hex.EncodeToString(r.hash.Sum(nil)) != r.digest {
			return r.corrupt("its bytes do not hash to its digest")
		}
	}
	r.chunk, r.data = seq, row.Data
	return nil
}

// emptyDigest is the SHA-256 of no bytes.
var emptyDigest = hex.EncodeToString(sha256.New().Sum(nil))

func (r *blobReader) corrupt(why string) error {
	return &nap.Error{Code: nap.EINTEGRITY, Message: fmt.Sprintf("the stored content %s does not match its digest: %s", r.digest, why)}
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
