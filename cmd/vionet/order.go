package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/daemon"
	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/store"
)

// orderView is how `vionet order` prints an order.
type orderView struct {
	AppID     string `json:"appid"`
	Type      int    `json:"type"`
	Total     int    `json:"total"`
	Used      int    `json:"used"`
	Available int    `json:"available"`
}

func viewOrder(o domain.ServiceOrder) orderView {
	return orderView{AppID: o.AppID, Type: o.Type, Total: o.Total, Used: o.Used, Available: o.Available()}
}

// orderCmd runs the service order subcommands (what tenants may open with 4.6.1.1) against
// the configured database directly, like `vionet tenant`; a running server sees the change
// on its next 4.6.1.1/4.6.1.4 call.
func orderCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "grant" && args[0] != "list") {
		return errors.New("order: want grant --appid A --type T --count N, or list [--appid A]")
	}
	sub, rest := args[0], args[1:]
	var appID string
	var typ, count int
	fs := flag.NewFlagSet("order "+sub, flag.ContinueOnError)
	fs.StringVar(&appID, "appid", "", "tenant appid")
	if sub == "grant" {
		fs.IntVar(&typ, "type", 0, "service type (servCode 10002010004): 1 全天云存储, 3 图片云储存, 4 实时视频接入许可")
		fs.IntVar(&count, "count", 0, "cameras to add to the order (negative removes, never below those in use)")
	}
	cfg, pos, err := conf.LoadFlags(fs, rest, os.Environ())
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("order %s: unexpected argument %q", sub, pos[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if sub == "grant" && (!set["appid"] || !set["type"] || !set["count"]) {
		return errors.New("order grant: --appid, --type and --count are required")
	}

	ctx := context.Background()
	st, err := store.Open(ctx, cfg.DB, cfg.DataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	a := daemon.NewApp(st, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")

	if sub == "grant" {
		o, err := a.GrantOrder(ctx, appID, typ, count)
		if err != nil {
			return err
		}
		return enc.Encode(viewOrder(o))
	}
	orders, err := a.ServiceOrders(ctx, appID)
	if err != nil {
		return err
	}
	out := make([]orderView, len(orders))
	for i, o := range orders {
		out[i] = viewOrder(o)
	}
	return enc.Encode(out)
}
