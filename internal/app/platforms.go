package app

import (
	"strings"

	"github.com/vionet/vionet/internal/domain"
)

// PlatformsByArea returns the access platforms that serve an area code (4.4.5.1). A platform
// serves an area when one of its configured prefixes is a prefix of the code, or when it
// has none configured.
func (a *App) PlatformsByArea(areaCode string) ([]Platform, error) {
	if areaCode == "" {
		return nil, domain.MissingField("areaCode")
	}
	for _, r := range areaCode {
		if r < '0' || r > '9' {
			return nil, domain.InvalidField("areaCode", "must be digits")
		}
	}
	p := a.platform
	if len(p.AreaCodes) == 0 {
		return []Platform{p}, nil
	}
	for _, prefix := range p.AreaCodes {
		if strings.HasPrefix(areaCode, prefix) {
			return []Platform{p}, nil
		}
	}
	return nil, nil
}
