package rtmp

import (
	"testing"

	"github.com/vionet/vionet/internal/media/mediatest"
)

// TestMain fails the package when its tests leave goroutines behind: every server, session
// and source they start must be closed.
func TestMain(m *testing.M) { mediatest.RunWithoutLeaks(m) }
