package northbound

import (
	"os"
	"strings"
	"testing"
)

func TestCatalogPatternsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, ep := range Catalog {
		if seen[ep.Pattern()] {
			t.Errorf("duplicate pattern %s", ep.Pattern())
		}
		seen[ep.Pattern()] = true
	}
	if len(Catalog) != 90 {
		t.Errorf("catalog has %d endpoints, spec has 90", len(Catalog))
	}
}

// The feature table is documentation users read; keep it honest about what is implemented.
func TestFeatureTableMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("../../docs/feature-table.md")
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{} // "METHOD path" → status
	for _, line := range strings.Split(string(raw), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 7 || !strings.HasPrefix(strings.TrimSpace(cells[3]), "`") {
			continue
		}
		key := strings.TrimSpace(cells[2]) + " " + strings.Trim(strings.TrimSpace(cells[3]), "`")
		status[key] = strings.TrimSpace(cells[5])
	}
	implemented := (&Server{}).routes()
	for _, ep := range Catalog {
		st, ok := status[ep.Pattern()]
		if !ok {
			t.Errorf("%s %s missing from docs/feature-table.md", ep.Section, ep.Pattern())
			continue
		}
		_, impl := implemented[ep.Pattern()]
		if impl && st == "not yet" || !impl && st != "not yet" {
			t.Errorf("%s %s: feature table says %q, implemented=%v", ep.Section, ep.Pattern(), st, impl)
		}
	}
}
