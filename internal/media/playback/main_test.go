package playback

import (
	"testing"

	"github.com/vionet/vionet/internal/media/mediatest"
)

// TestMain fails the package when its tests leave goroutines behind: everything they start
// must be closed.
func TestMain(m *testing.M) { mediatest.RunWithoutLeaks(m) }
