// Package app holds vionet's use cases. It declares the ports it needs (Store, and later the
// southbound drivers and the media hub) and knows nothing of HTTP, SQL or SIP.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Store is the persistence port, implemented by internal/store for SQLite and PostgreSQL.
// Methods that take events write them to the push outbox in the same transaction.
type Store interface {
	AddTenant(ctx context.Context, t domain.Tenant) error
	Tenant(ctx context.Context, appID string) (domain.Tenant, error)
	Tenants(ctx context.Context) ([]domain.Tenant, error)
	RemoveTenant(ctx context.Context, appID string) error
	SetTenantSecret(ctx context.Context, appID, secret string) error

	CreateDevice(ctx context.Context, d *domain.Device, events ...domain.Event) error
	Device(ctx context.Context, deviceSn string) (*domain.Device, error)
	ChannelOwner(ctx context.Context, channelSn string) (*domain.Device, error)
	Devices(ctx context.Context, appID string, offset, limit int) ([]*domain.Device, int, error)
	DeleteDevice(ctx context.Context, deviceID int64, events ...domain.Event) error
	AddChannels(ctx context.Context, deviceID int64, chans []domain.Channel, events ...domain.Event) error
	DeleteChannel(ctx context.Context, deviceID, channelID int64, events ...domain.Event) error
	RenameDevice(ctx context.Context, deviceID int64, name string) error
	RenameChannel(ctx context.Context, channelID int64, name string) error

	Subscribe(ctx context.Context, appID string, t domain.MsgType, url string) error
	Unsubscribe(ctx context.Context, appID string, t domain.MsgType) error
	Publish(ctx context.Context, events ...domain.Event) error

	UpdateDevice(ctx context.Context, deviceSn string, fn func(d *domain.Device) ([]domain.Event, error)) error
	UpdateDevices(ctx context.Context, deviceSns []string, fn func(d *domain.Device) ([]domain.Event, error)) error
	Registrations(ctx context.Context, now time.Time) ([]domain.Registration, error)

	// PTZ state per head (deviceID and the head's code), 4.5.2.
	PTZSettings(ctx context.Context, deviceID int64, target string) (domain.PTZSettings, error)
	SetPTZConfig(ctx context.Context, deviceID int64, target string, address int, invert bool) error
	SetPTZGuard(ctx context.Context, deviceID int64, target string, g *domain.PTZGuard) error
	CruiseRoutes(ctx context.Context, deviceID int64, target string) ([]domain.CruiseRoute, error)
	AddCruiseRoute(ctx context.Context, deviceID int64, target string, r domain.CruiseRoute) error
	UpdateCruiseRoute(ctx context.Context, deviceID int64, target string, r domain.CruiseRoute) error
	DeleteCruiseRoute(ctx context.Context, deviceID int64, target string, code int) error
	SetCruiseSchedule(ctx context.Context, deviceID int64, target string, code int, windows []domain.CruiseWindow) error
	ScheduledCruises(ctx context.Context) ([]domain.ScheduledCruise, error)

	// Platform snapshots, 4.4.1.12–14. Snapshots returns a page and the total count.
	AddSnapshot(ctx context.Context, s *domain.Snapshot) error
	Snapshots(ctx context.Context, q domain.SnapshotQuery) ([]domain.Snapshot, int, error)
	Snapshot(ctx context.Context, pictureID string) (domain.Snapshot, error)
	DeleteSnapshot(ctx context.Context, id int64) error

	// Service plans and orders, 4.6.1 (internal/store/services.go).
	ApplyServiceChanges(ctx context.Context, appID string, changes []domain.ServiceChange, admit func(i int, o domain.ServiceOrder) error) error
	DeviceServices(ctx context.Context, deviceID int64, target string) ([]domain.DeviceService, error)
	DeviceService(ctx context.Context, deviceID int64, target string, typ int) (domain.DeviceService, bool, error)
	RecordingPlans(ctx context.Context) ([]domain.RecordingPlan, error)
	ServiceOrders(ctx context.Context, appID string) ([]domain.ServiceOrder, error)
	UpdateServiceOrder(ctx context.Context, appID string, typ int, fn func(o *domain.ServiceOrder) error) (domain.ServiceOrder, error)

	// Cloud recordings and clips (issue 5).
	AddRecording(ctx context.Context, r *domain.Recording) error
	MarkAlarm(ctx context.Context, target string, at time.Time, alarmType int) error
	Recordings(ctx context.Context, q domain.RecordingQuery) ([]domain.Recording, error)
	Recording(ctx context.Context, id int64) (domain.Recording, error)
	RecordingKnown(ctx context.Context, fileKey string) (bool, error)
	DeleteRecordings(ctx context.Context, ids []int64) error
	ExpiredRecordings(ctx context.Context, target string, cutoff time.Time, limit int) ([]domain.Recording, error)
	ThawRecordings(ctx context.Context, target string, from, to, until time.Time) (int, error)
	AddClipTask(ctx context.Context, c *domain.ClipTask) error
	ClipTask(ctx context.Context, id int64) (domain.ClipTask, error)
	FinishClipTask(ctx context.Context, c domain.ClipTask) error
	PendingClipTasks(ctx context.Context) ([]domain.ClipTask, error)
	DeleteClipTask(ctx context.Context, id int64) error
}

// Platform is what this vionet node tells tenants and devices about itself.
type Platform struct {
	ID, Name, Vendor string
	AreaCodes        []string // area-code prefixes served; empty serves every area

	SIPID, SIPDomain, SIPPort string
	PublicHost, IntranetHost  string
	PublicHostV6, IntranetV6  string
}

// App is the set of use cases behind the northbound API and the operator CLI.
type App struct {
	store    Store
	platform Platform
	log      *slog.Logger
	now      func() time.Time
	pushed   func() // wakes the push dispatcher after events were committed
	tenants  *tenantCache
	sealer   *Sealer
	gb       GB28181 // nil until a GB/T 28181 driver is wired
	streams  StreamDriver
	media    mediaState
	live     liveStreams
	thumbs   thumbCache
	rec      recordingState
	plays    playbacks
	clips    clipWorker

	registrations *registrationWriter

	onServices func() // called after a committed change to services (OnServicesChanged)
}

// Options configures New.
type Options struct {
	Platform       Platform
	Logger         *slog.Logger
	TenantCacheTTL time.Duration
	// OnPublished is called after a change that may have queued pushes was committed.
	OnPublished func()
}

// New builds the use cases over store.
func New(store Store, opts Options) *App {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.OnPublished == nil {
		opts.OnPublished = func() {}
	}
	return &App{
		store:    store,
		platform: opts.Platform,
		log:      opts.Logger,
		now:      time.Now,
		pushed:   opts.OnPublished,
		tenants:  newTenantCache(store, opts.TenantCacheTTL),
		sealer:   NewSealer(),

		registrations: newRegistrationWriter(),
	}
}

// Seal encrypts a secret for a tenant (4.3.2), e.g. a device's loginPwd.
func (a *App) Seal(t domain.Tenant, secret string) (string, error) { return a.sealer.Seal(t, secret) }

// Platform returns this node's description.
func (a *App) Platform() Platform { return a.platform }
