package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

type userRow struct {
	RowMeta
	Email             string
	Name              string
	Active            bool
	PreferredLanguage string
	Reminders         bool
}

func (r userRow) sortKey() string { return strings.ToLower(r.Email) }

func (r userRow) toNap() nap.User {
	return nap.User{Meta: r.RowMeta.toNap(), Email: r.Email, Name: r.Name, Active: r.Active,
		PreferredLanguage: r.PreferredLanguage, Reminders: r.Reminders}
}

const userColumns = `u.id, u.version, u.created_at, u.updated_at, u.email, u.name, u.active, u.preferred_language,
	u.reminders`

// newID returns a new time-ordered id.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// nullable turns "" (no actor, as for an operator at the command line) into SQL NULL.
func nullable(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// CreateUser adds a user; ECONFLICT when the email is taken.
func (db *DB) CreateUser(ctx context.Context, actorID, email, name string) (nap.User, error) {
	id := newID()
	err := db.conn(ctx).Exec(`INSERT INTO users (id, email, name, created_by, updated_by)
		VALUES (?, ?, ?, ?, ?)`, id, email, name, nullable(actorID), nullable(actorID)).Error
	if err != nil {
		if nap.ErrorCode(err) == nap.ECONFLICT {
			return nap.User{}, nap.Errorf(nap.ECONFLICT, "a user with email %s exists", email)
		}
		return nap.User{}, err
	}
	return db.GetUser(ctx, id)
}

// GetUser returns the user with the given id.
func (db *DB) GetUser(ctx context.Context, id string) (nap.User, error) {
	var row userRow
	err := db.conn(ctx).Table("users u").Select(userColumns).Where("u.id = ?", id).Take(&row).Error
	if err != nil {
		return nap.User{}, notFound(err, "user")
	}
	return row.toNap(), nil
}

// UserByEmail returns the user with the given email, in any case.
func (db *DB) UserByEmail(ctx context.Context, email string) (nap.User, error) {
	var row userRow
	err := db.conn(ctx).Table("users u").Select(userColumns).
		Where("lower(u.email) = lower(?)", email).Take(&row).Error
	if err != nil {
		return nap.User{}, notFound(err, "user "+email)
	}
	return row.toNap(), nil
}

// ListUsers returns a page of users in email order.
func (db *DB) ListUsers(ctx context.Context, page nap.PageRequest) (nap.Page[nap.User], error) {
	q, err := paginate(db.conn(ctx).Table("users u").Select(userColumns), "lower(u.email)", "u.id", page)
	if err != nil {
		return nap.Page[nap.User]{}, err
	}
	var rows []userRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.User]{}, err
	}
	return pageOf(rows, page.Limit, userRow.toNap), nil
}

// UpdateUser changes a user if it is still at version; nil fields stay. Deactivating revokes
// the user's tokens.
func (db *DB) UpdateUser(ctx context.Context, actorID, id string, version int, ch nap.UserChange) (nap.User, error) {
	set := map[string]any{}
	if ch.Name != nil {
		set["name"] = *ch.Name
	}
	if ch.Active != nil {
		set["active"] = *ch.Active
	}
	if ch.PreferredLanguage != nil {
		set["preferred_language"] = *ch.PreferredLanguage
	}
	if ch.Reminders != nil {
		set["reminders"] = *ch.Reminders
	}
	active := ch.Active
	err := db.InTx(ctx, func(ctx context.Context) error {
		if err := db.update(ctx, "users", "user", actorID, id, version, set); err != nil {
			return err
		}
		if active == nil || *active {
			return nil
		}
		// A deactivated user's tokens are revoked, so reactivating them revives no token that
		// may have leaked meanwhile.
		return db.conn(ctx).Exec(`UPDATE api_tokens SET revoked_at = now(), revoked_by = ?
			WHERE user_id = ? AND revoked_at IS NULL`, nullable(actorID), id).Error
	})
	if err != nil {
		return nap.User{}, err
	}
	return db.GetUser(ctx, id)
}

type membershipRow struct {
	ID             string
	UserID         string
	OrganizationID *string
	Organization   string
	Role           string
	ValidFrom      time.Time
	ValidTo        *time.Time
	CreatedAt      time.Time
}

func (r membershipRow) toNap() nap.Membership {
	m := nap.Membership{ID: r.ID, UserID: r.UserID, Organization: r.Organization, Role: nap.Role(r.Role),
		ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, CreatedAt: r.CreatedAt}
	if r.OrganizationID != nil {
		m.OrganizationID = *r.OrganizationID
	}
	return m
}

func (db *DB) memberships(ctx context.Context) *gorm.DB {
	return db.conn(ctx).Table("memberships ms").
		Select(`ms.id, ms.user_id, ms.organization_id, coalesce(o.code, '') AS organization, ms.role,
			ms.valid_from, ms.valid_to, ms.created_at`).
		Joins("LEFT JOIN organizations o ON o.id = ms.organization_id")
}

// GrantMembership gives a user a role, globally (org "") or in the organization with that
// code, from validFrom (now when nil) until validTo (open-ended when nil).
func (db *DB) GrantMembership(ctx context.Context, actorID, userID string, role nap.Role, org string, validFrom, validTo *time.Time) (nap.Membership, error) {
	id := newID()
	var orgID any
	if org != "" {
		var o struct{ ID string }
		if err := db.conn(ctx).Table("organizations").Select("id").Where("code = ?", org).Take(&o).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nap.Membership{}, nap.Errorf(nap.EINVALID, "organization %s does not exist", org)
			}
			return nap.Membership{}, err
		}
		orgID = o.ID
	}
	err := db.conn(ctx).Exec(`INSERT INTO memberships (id, user_id, organization_id, role, valid_from, valid_to, created_by)
		VALUES (?, ?, ?, ?, coalesce(?, now()), ?, ?)`, id, userID, orgID, role, validFrom, validTo, nullable(actorID)).Error
	if err != nil {
		return nap.Membership{}, err
	}
	var row membershipRow
	if err := db.memberships(ctx).Where("ms.id = ?", id).Take(&row).Error; err != nil {
		return nap.Membership{}, err
	}
	return row.toNap(), nil
}

// ListMemberships returns every membership of a user, ended ones too, oldest first.
func (db *DB) ListMemberships(ctx context.Context, userID string) ([]nap.Membership, error) {
	var rows []membershipRow
	if err := db.memberships(ctx).Where("ms.user_id = ?", userID).Order("ms.created_at, ms.id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]nap.Membership, len(rows))
	for i, r := range rows {
		out[i] = r.toNap()
	}
	return out, nil
}

// RevokeMembership ends a user's membership now; ECONFLICT when it has already ended.
func (db *DB) RevokeMembership(ctx context.Context, actorID, userID, membershipID string) error {
	res := db.conn(ctx).Exec(`UPDATE memberships SET valid_to = greatest(now(), valid_from), revoked_by = ?
		WHERE id = ? AND user_id = ? AND (valid_to IS NULL OR valid_to > now())`, nullable(actorID), membershipID, userID)
	if res.Error != nil || res.RowsAffected == 1 {
		return res.Error
	}
	var n int64
	if err := db.conn(ctx).Table("memberships").Where("id = ? AND user_id = ?", membershipID, userID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return nap.Errorf(nap.ENOTFOUND, "membership not found")
	}
	return nap.Errorf(nap.ECONFLICT, "the membership has already ended")
}

// LiveMemberships returns the memberships of active users that hold now, by the database's
// clock (only their user, organization id and role), and how long until the next one starts
// or ends (0 when none will).
func (db *DB) LiveMemberships(ctx context.Context) ([]nap.Membership, time.Duration, error) {
	// Only what decisions need, scanned by position: every server reads all of them at every
	// change of access, and gorm's reflective scan of 50,000 rows took 64 MB.
	rows, err := db.conn(ctx).Table("memberships ms").
		Select("ms.user_id, coalesce(ms.organization_id::text, ''), ms.role").
		Joins("JOIN users u ON u.id = ms.user_id AND u.active").
		Where("ms.valid_from <= now() AND (ms.valid_to IS NULL OR ms.valid_to > now())").
		Rows()
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []nap.Membership
	for rows.Next() {
		var m nap.Membership
		if err := rows.Scan(&m.UserID, &m.OrganizationID, &m.Role); err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var next struct{ Seconds *float64 }
	err = db.conn(ctx).Raw(`SELECT extract(epoch FROM min(t) - now())::float8 AS seconds FROM (
			SELECT valid_from AS t FROM memberships WHERE valid_from > now()
			UNION ALL SELECT valid_to FROM memberships WHERE valid_to > now()) boundaries`).Scan(&next).Error
	if err != nil {
		return nil, 0, err
	}
	if next.Seconds == nil {
		return out, 0, nil
	}
	return out, time.Duration(*next.Seconds * float64(time.Second)), nil
}

type tokenRow struct {
	ID         string
	UserID     string
	Name       string
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

func (r tokenRow) toNap() nap.Token { return nap.Token(r) }

const tokenColumns = "t.id, t.user_id, t.name, t.expires_at, t.last_used_at, t.revoked_at, t.created_at" //nolint:gosec // column names, not a credential

// CreateToken stores a token by the SHA-256 of its secret, expiring ttl from now by the
// database's clock, which judges it.
func (db *DB) CreateToken(ctx context.Context, actorID, userID, name string, hash []byte, ttl time.Duration) (nap.Token, error) {
	id := newID()
	err := db.conn(ctx).Exec(`INSERT INTO api_tokens (id, user_id, name, secret_hash, expires_at, created_by)
		VALUES (?, ?, ?, ?, now() + make_interval(secs => ?), ?)`, id, userID, name, hash, ttl.Seconds(), nullable(actorID)).Error
	if err != nil {
		return nap.Token{}, err
	}
	return db.GetToken(ctx, id)
}

// GetToken returns a token's record.
func (db *DB) GetToken(ctx context.Context, id string) (nap.Token, error) {
	var row tokenRow
	if err := db.conn(ctx).Table("api_tokens t").Select(tokenColumns).Where("t.id = ?", id).Take(&row).Error; err != nil {
		return nap.Token{}, notFound(err, "token")
	}
	return row.toNap(), nil
}

// ListTokens returns a user's tokens, revoked and expired ones too, newest first.
func (db *DB) ListTokens(ctx context.Context, userID string) ([]nap.Token, error) {
	var rows []tokenRow
	err := db.conn(ctx).Table("api_tokens t").Select(tokenColumns).
		Where("t.user_id = ?", userID).Order("t.created_at DESC, t.id DESC").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]nap.Token, len(rows))
	for i, r := range rows {
		out[i] = r.toNap()
	}
	return out, nil
}

// RevokeToken revokes a token; ECONFLICT when it is revoked already.
func (db *DB) RevokeToken(ctx context.Context, actorID, id string) error {
	res := db.conn(ctx).Exec(`UPDATE api_tokens SET revoked_at = now(), revoked_by = ?
		WHERE id = ? AND revoked_at IS NULL`, nullable(actorID), id)
	if res.Error != nil || res.RowsAffected == 1 {
		return res.Error
	}
	if _, err := db.GetToken(ctx, id); err != nil {
		return err
	}
	return nap.Errorf(nap.ECONFLICT, "the token is revoked already")
}

// Authenticate returns the caller a token secret's hash names, with the memberships live now:
// ENOTFOUND when no usable token has that hash (unknown, revoked, expired, or its user
// inactive). Validity is judged by the database's clock, which also stamped it. The token is
// marked used at most once a minute, to spare a write per request.
func (db *DB) Authenticate(ctx context.Context, hash []byte) (nap.Actor, error) {
	var row struct {
		TokenID    string
		ExpiresAt  *time.Time
		LastUsedAt *time.Time
		Now        time.Time
		User       userRow `gorm:"embedded"`
	}
	err := db.conn(ctx).Table("api_tokens t").
		Select("t.id AS token_id, t.expires_at, t.last_used_at, now() AS now, "+userColumns).
		Joins("JOIN users u ON u.id = t.user_id").
		Where("t.secret_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.active", hash).
		Take(&row).Error
	if err != nil {
		return nap.Actor{}, notFound(err, "token")
	}
	var rows []membershipRow
	err = db.memberships(ctx).Where("ms.user_id = ? AND ms.valid_from <= now() AND (ms.valid_to IS NULL OR ms.valid_to > now())",
		row.User.ID).Order("ms.created_at").Scan(&rows).Error
	if err != nil {
		return nap.Actor{}, err
	}
	a := nap.Actor{User: row.User.toNap(), TokenID: row.TokenID, TokenExpires: row.ExpiresAt, Memberships: make([]nap.Membership, len(rows))}
	for i, r := range rows {
		a.Memberships[i] = r.toNap()
	}
	if row.LastUsedAt == nil || row.Now.Sub(*row.LastUsedAt) > time.Minute {
		err = db.conn(ctx).Exec(`UPDATE api_tokens SET last_used_at = now() WHERE id = ?`, row.TokenID).Error
	}
	return a, err
}
