// Package benchutil holds what the benchmark programs under bench/ share: building the
// server they measure and naming the tree it was built from.
package benchutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildVionet builds pkg (./cmd/vionet, or ./bench/gb28181/pprofserve for profiles) from the
// module root into dir and returns the binary and the module root.
func BuildVionet(ctx context.Context, dir, pkg string) (bin, root string, err error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", "", errors.New("not inside the vionet module (run from the repository)")
	}
	root = filepath.Dir(gomod)
	bin = filepath.Join(dir, "vionet")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("go build %s: %w", pkg, err)
	}
	return bin, root, nil
}

// TreeVersion describes the source tree at root (commit, +dirty).
func TreeVersion(root string) string {
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
