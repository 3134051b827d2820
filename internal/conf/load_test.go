package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPrecedenceDefaultsYAMLEnvFlags(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "v.yaml")
	yml := "api-addr: 127.0.0.1:9000\nsip-addr: 127.0.0.1:5070\narea-codes: [\"34\", \"35\"]\npush-retry-for: 1h\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"VIONET_SIP_ADDR=127.0.0.1:5080", "VIONET_RATE_LIMIT=7.5"}
	cfg, rest, err := Load("serve", []string{"--config", path, "--rate-limit=9", "extra"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIAddr != "127.0.0.1:9000" || cfg.SIPAddr != "127.0.0.1:5080" || cfg.RateLimit != 9 {
		t.Fatalf("precedence wrong: %+v", cfg)
	}
	if len(cfg.AreaCodes) != 2 || cfg.AreaCodes[1] != "35" || cfg.PushRetryFor != time.Hour {
		t.Fatalf("yaml list/duration: %+v", cfg)
	}
	if cfg.DataDir != "./data" || len(rest) != 1 || rest[0] != "extra" {
		t.Fatalf("defaults/rest: %+v %v", cfg, rest)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownYAMLKeyRejected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.yaml")
	os.WriteFile(path, []byte("api_addr: x\n"), 0o600)
	if _, _, err := Load("serve", nil, []string{"VIONET_CONFIG=" + path}); err == nil {
		t.Fatal("want error for unknown key")
	}
}

func TestValidate(t *testing.T) {
	c := Defaults()
	c.SIPID = "123"
	c.DB = "mysql://x"
	if err := c.Validate(); err == nil {
		t.Fatal("want errors")
	}
}

func TestEverySettingDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range Describe() {
		key := line[:strings.IndexByte(line, '\t')]
		if !strings.Contains(string(doc), "| `"+key+"` |") {
			t.Errorf("setting %s missing from docs/configuration.md", key)
		}
	}
}
