package conf

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Load builds the configuration for a subcommand from defaults, the YAML file, the
// environment (env, usually os.Environ()) and args, in that order of increasing precedence.
// It returns the remaining positional arguments.
func Load(name string, args []string, env []string) (Config, []string, error) {
	return LoadFlags(flag.NewFlagSet(name, flag.ContinueOnError), args, env)
}

// LoadFlags is Load with a caller's FlagSet, so a subcommand can add flags of its own
// beside the settings.
func LoadFlags(fs *flag.FlagSet, args []string, env []string) (Config, []string, error) {
	cfg := Defaults()
	lookup := envMap(env)

	path := findConfigPath(args, lookup)
	if path != "" {
		if err := loadYAML(&cfg, path); err != nil {
			return cfg, nil, err
		}
	}
	if err := applyEnv(&cfg, lookup); err != nil {
		return cfg, nil, err
	}
	Bind(fs, &cfg)
	// Flags may come before or after positional arguments (`tenant rm APPID --db …`).
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return cfg, nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return cfg, positional, nil
		}
		if args[0] == "--" {
			return cfg, append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// EnvName is the environment variable of a setting: api-addr → VIONET_API_ADDR.
func EnvName(key string) string {
	return "VIONET_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// Bind registers one flag per setting on fs, with the current values of cfg as defaults.
func Bind(fs *flag.FlagSet, cfg *Config) {
	eachField(cfg, func(key, help string, v reflect.Value) {
		fs.Var(fieldValue{v}, key, help+" (env "+EnvName(key)+")")
	})
}

// Describe lists every setting as "key\tdefault\thelp" lines, for docs and --help.
func Describe() []string {
	cfg := Defaults()
	var out []string
	eachField(&cfg, func(key, help string, v reflect.Value) {
		out = append(out, fmt.Sprintf("%s\t%s\t%s", key, fieldValue{v}.String(), help))
	})
	return out
}

func eachField(cfg *Config, fn func(key, help string, v reflect.Value)) {
	rv := reflect.ValueOf(cfg).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if key := f.Tag.Get("conf"); key != "" {
			fn(key, f.Tag.Get("help"), rv.Field(i))
		}
	}
}

func findConfigPath(args []string, env map[string]string) string {
	path := env[EnvName("config")]
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, "config="); ok {
			path = v
		} else if a == "config" && i+1 < len(args) {
			path = args[i+1]
		}
	}
	return path
}

func loadYAML(cfg *Config, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var m map[string]yaml.Node
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	known := map[string]bool{}
	var ferr error
	eachField(cfg, func(key, _ string, v reflect.Value) {
		known[key] = true
		node, ok := m[key]
		if !ok || ferr != nil {
			return
		}
		if node.Kind == yaml.SequenceNode {
			var list []string
			if err := node.Decode(&list); err != nil {
				ferr = fmt.Errorf("config file %s: %s: %w", path, key, err)
				return
			}
			node.Value = strings.Join(list, ",")
		}
		if err := (fieldValue{v}).Set(node.Value); err != nil {
			ferr = fmt.Errorf("config file %s: %s: %w", path, key, err)
		}
	})
	if ferr != nil {
		return ferr
	}
	for k := range m {
		if !known[k] {
			return fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
	}
	return nil
}

func applyEnv(cfg *Config, env map[string]string) error {
	var ferr error
	eachField(cfg, func(key, _ string, v reflect.Value) {
		if s, ok := env[EnvName(key)]; ok && ferr == nil {
			if err := (fieldValue{v}).Set(s); err != nil {
				ferr = fmt.Errorf("%s: %w", EnvName(key), err)
			}
		}
	})
	return ferr
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// fieldValue adapts one Config field to flag.Value.
type fieldValue struct{ v reflect.Value }

func (f fieldValue) String() string {
	if !f.v.IsValid() {
		return ""
	}
	switch x := f.v.Interface().(type) {
	case []string:
		return strings.Join(x, ",")
	case time.Duration:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

func (f fieldValue) Set(s string) error {
	switch f.v.Interface().(type) {
	case string:
		f.v.SetString(s)
	case []string:
		var list []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, p)
			}
		}
		f.v.Set(reflect.ValueOf(list))
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		f.v.SetInt(int64(d))
	case int, int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		f.v.SetInt(n)
	case float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		f.v.SetFloat(n)
	case bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		f.v.SetBool(b)
	default:
		return fmt.Errorf("unsupported setting type %s", f.v.Type())
	}
	return nil
}
