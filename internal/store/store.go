// Package store keeps vionet's state in SQL: embedded SQLite by default, PostgreSQL (pgx) when
// one machine is outgrown. Both engines run the same queries (written with ? placeholders and
// rebound for PostgreSQL) and their own embedded migrations, applied on Open.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/vionet/vionet/internal/domain"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations
var migrationsFS embed.FS

// Engine names a SQL dialect.
type Engine string

// Supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Store is the SQL implementation of the app layer's persistence ports.
type Store struct {
	db     *sql.DB // writes (and everything on PostgreSQL)
	rdb    *sql.DB // reads; on SQLite a pool of read-only connections beside the single writer
	engine Engine
	now    func() time.Time
	stmts  sync.Map // stmtKey → *sql.Stmt, for the hot paths
}

// Open connects to dsn (a postgres:// URL, "sqlite:PATH", or empty for SQLite at
// dataDir/vionet.db) and applies pending migrations.
func Open(ctx context.Context, dsn, dataDir string) (*Store, error) {
	var (
		db, rdb *sql.DB
		engine  Engine
		err     error
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		engine = Postgres
		db, err = sql.Open("pgx", dsn)
		if err == nil {
			// Few connections: every backend is a process competing for the same cores.
			n := 4 * runtime.GOMAXPROCS(0)
			db.SetMaxOpenConns(n)
			db.SetMaxIdleConns(n)
			rdb = db
		}
	default:
		engine = SQLite
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			if err := os.MkdirAll(dataDir, 0o750); err != nil {
				return nil, fmt.Errorf("store: data dir: %w", err)
			}
			path = filepath.Join(dataDir, "vionet.db")
		}
		// WAL lets the tenant CLI write while a server runs; busy_timeout makes the two wait
		// for each other instead of failing; one writer connection avoids SQLITE_BUSY storms.
		const pragmas = "&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		db, err = sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_txlock=immediate"+pragmas)
		if err == nil {
			db.SetMaxOpenConns(1)
			// WAL readers never block the writer nor each other: reads get their own pool.
			rdb, err = sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)"+pragmas)
			if err == nil {
				n := 2 * runtime.GOMAXPROCS(0)
				rdb.SetMaxOpenConns(n)
				rdb.SetMaxIdleConns(n)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	s := &Store{db: db, rdb: rdb, engine: engine, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.warmWrites(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Engine reports which SQL dialect the store uses.
func (s *Store) Engine() Engine { return s.engine }

// Close closes the database.
func (s *Store) Close() error {
	s.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	if s.rdb != s.db {
		s.rdb.Close()
	}
	return s.db.Close()
}

// prepared returns a statement for a hot read query, prepared once on the read pool.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	return s.prepareOn(ctx, s.rdb, query)
}

// preparedTx returns a hot write statement for use in tx, prepared once on the writer, so
// SQLite does not parse the same SQL on every registration of a storm.
//
// Statements are prepared on the writer when the store opens (warmWrites): preparing one
// inside a transaction would wait for a connection the transaction itself holds (SQLite has
// one writer connection). A query not warmed is prepared on the transaction, uncached.
func (s *Store) preparedTx(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(stmtKey{s.db, query}); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt)), nil
	}
	return tx.PrepareContext(ctx, s.q(query))
}

// warmWrites prepares the hot write statements on the writer connection.
func (s *Store) warmWrites(ctx context.Context) error {
	lock := ""
	if s.engine == Postgres {
		lock = " FOR UPDATE"
	}
	for _, q := range []string{selectDeviceForUpdate + lock, updateDeviceState, selectChannels} {
		if _, err := s.prepareOn(ctx, s.db, q); err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
	}
	return nil
}

type stmtKey struct {
	db    *sql.DB
	query string
}

func (s *Store) prepareOn(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	k := stmtKey{db, query}
	if st, ok := s.stmts.Load(k); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(k, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// Ping checks that the database answers (used by /healthz).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *Store) migrate(ctx context.Context) error {
	dir := "migrations/" + string(s.engine)
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)

	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	for _, name := range names {
		if err := s.applyMigration(ctx, dir, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, dir, name string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if s.engine == Postgres {
			// Serialise concurrent starts of several nodes on one database.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7201)`); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), name).Scan(&n); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		if n > 0 {
			return nil
		}
		body, err := fs.ReadFile(migrationsFS, dir+"/"+name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), name, s.now().UnixMilli())
		return err
	})
}

// tx runs fn in a transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// q rewrites ? placeholders to $n for PostgreSQL. Queries never contain a literal '?'.
func (s *Store) q(query string) string {
	if s.engine != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := range len(query) {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// isUniqueViolation recognises a duplicate-key error from either engine.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") ||
		strings.Contains(msg, "duplicate key value")
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
