package domain

import "strconv"

// ServiceChange is one camera's part of a 4.6.1.1 or 4.6.1.3 request, validated and resolved
// to the camera. When Open, Service is opened (or, if that type is open already, its
// attributes are replaced); otherwise the types in Close are closed on the camera of Service
// (AppID, DeviceID, Target), every open type when Close is empty.
type ServiceChange struct {
	Open    bool
	Service DeviceService
	Close   []int
	// Alias is a former code of the same camera whose services move to Service.Target
	// first: the device's own code, for an IPC that reported its lens as a channel after
	// services were opened on it.
	Alias string
}

// ServiceAttrs lists a service's attributes the way 4.6.1.2 shows them: the service type
// first, then the storage days, frame interval and bitrate cap, each only when > 0.
func ServiceAttrs(typ, days, frameInterval, bitrateCap int) []ServiceAttr {
	attrs := []ServiceAttr{{Code: ServType, Value: strconv.Itoa(typ)}}
	for _, a := range []struct {
		code string
		v    int
	}{{ServCloudDays, days}, {ServFrameInterval, frameInterval}, {ServBitrateCap, bitrateCap}} {
		if a.v > 0 {
			attrs = append(attrs, ServiceAttr{Code: a.code, Value: strconv.Itoa(a.v)})
		}
	}
	return attrs
}

// AttrInt returns the value of servCode code as a number (0 when absent or not a number).
func (s DeviceService) AttrInt(code string) int {
	n, _ := strconv.Atoi(s.Attr(code))
	return n
}

// Available is how many more cameras may open the service type.
func (o ServiceOrder) Available() int { return max(0, o.Total-o.Used) }
