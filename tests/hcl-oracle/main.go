// hcl-oracle parses an HCL file with HashiCorp's own parser (hclsyntax) and
// prints its attribute/block tree as canonical JSON, the same form as
// Flywall's tests/e2e/hcl_dump, so the two can be compared byte for byte.
//
//	hcl-oracle FILE
//
// Exit 0 with the tree on stdout; exit 1 with HCL's diagnostics on stderr.
//
// Canonical form: a body is {"attributes":{NAME:VALUE,...},"blocks":[...]}
// with attribute names sorted; a block is {"type","labels","body"}; strings
// are JSON strings (only '"', '\\' and bytes below 0x20 escaped); a number is
// a JSON integer when it is whole and fits in 64 bits, otherwise the shortest
// "d.ddde+XX" that reads back as the same 64-bit double; lists and tuples are
// arrays; maps and objects have sorted keys.
package main

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hcl-oracle FILE")
		os.Exit(2)
	}
	src, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	file, diags := hclsyntax.ParseConfig(src, os.Args[1], hcl.InitialPos)
	if diags.HasErrors() {
		fail(diags)
	}
	var out strings.Builder
	diags = writeBody(&out, file.Body.(*hclsyntax.Body))
	if diags.HasErrors() {
		fail(diags)
	}
	fmt.Println(out.String())
}

func fail(diags hcl.Diagnostics) {
	for _, d := range diags {
		fmt.Fprintln(os.Stderr, d.Error())
	}
	os.Exit(1)
}

func writeBody(out *strings.Builder, body *hclsyntax.Body) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names := make([]string, 0, len(body.Attributes))
	for name := range body.Attributes {
		names = append(names, name)
	}
	sort.Strings(names)
	out.WriteString(`{"attributes":{`)
	for i, name := range names {
		if i > 0 {
			out.WriteByte(',')
		}
		writeString(out, name)
		out.WriteByte(':')
		// No evaluation context: literals evaluate, variables and
		// functions are errors.
		v, d := body.Attributes[name].Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			writeValue(out, v)
		}
	}
	out.WriteString(`},"blocks":[`)
	for i, b := range body.Blocks {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(`{"type":`)
		writeString(out, b.Type)
		out.WriteString(`,"labels":[`)
		for j, l := range b.Labels {
			if j > 0 {
				out.WriteByte(',')
			}
			writeString(out, l)
		}
		out.WriteString(`],"body":`)
		diags = append(diags, writeBody(out, b.Body)...)
		out.WriteByte('}')
	}
	out.WriteString(`]}`)
	return diags
}

func writeValue(out *strings.Builder, v cty.Value) {
	switch {
	case v.IsNull():
		out.WriteString("null")
	case !v.IsKnown():
		out.WriteString(`"<unknown>"`)
	case v.Type() == cty.String:
		writeString(out, v.AsString())
	case v.Type() == cty.Bool:
		out.WriteString(strconv.FormatBool(v.True()))
	case v.Type() == cty.Number:
		writeNumber(out, v.AsBigFloat())
	case v.Type().IsObjectType() || v.Type().IsMapType():
		m := v.AsValueMap()
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				out.WriteByte(',')
			}
			writeString(out, k)
			out.WriteByte(':')
			writeValue(out, m[k])
		}
		out.WriteByte('}')
	default: // tuples, lists, sets
		out.WriteByte('[')
		for i, e := range v.AsValueSlice() {
			if i > 0 {
				out.WriteByte(',')
			}
			writeValue(out, e)
		}
		out.WriteByte(']')
	}
}

func writeNumber(out *strings.Builder, f *big.Float) {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			out.WriteString(strconv.FormatInt(i, 10))
			return
		}
	}
	d, _ := f.Float64()
	if math.IsInf(d, 0) {
		out.WriteString(`"inf"`)
		return
	}
	out.WriteString(strconv.FormatFloat(d, 'e', -1, 64))
}

func writeString(out *strings.Builder, s string) {
	out.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(out, `\u%04x`, c)
		default:
			out.WriteByte(c)
		}
	}
	out.WriteByte('"')
}
