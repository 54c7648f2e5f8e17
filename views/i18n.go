package views

import (
	"context"
	"fmt"
	"strings"
)

// Languages: each file messages_XX.go registers one catalogue. To add a
// language, copy messages_en.go, translate the values and register it; keys
// missing from a catalogue fall back to English.
var catalogues = map[string]map[string]string{}

func register(lang string, m map[string]string) {
	if catalogues[lang] == nil {
		catalogues[lang] = map[string]string{}
	}
	for k, v := range m {
		catalogues[lang][k] = v
	}
}

type langKey struct{}

// WithLang returns ctx carrying the viewer's language (Bitrix24's LANG).
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, Lang(lang))
}

// Lang normalises a Bitrix24 LANG value to a supported language.
func Lang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if _, ok := catalogues[lang]; ok {
		return lang
	}
	switch lang {
	case "ua", "by", "kz":
		return "ru"
	}
	return "en"
}

// LangOf returns the language ctx carries.
func LangOf(ctx context.Context) string {
	if l, ok := ctx.Value(langKey{}).(string); ok {
		return l
	}
	return "en"
}

// T returns the message for key in ctx's language.
func T(ctx context.Context, key string) string {
	if m, ok := catalogues[LangOf(ctx)][key]; ok {
		return m
	}
	if m, ok := catalogues["en"][key]; ok {
		return m
	}
	return key
}

// Tf formats the message for key with args.
func Tf(ctx context.Context, key string, args ...any) string {
	return fmt.Sprintf(T(ctx, key), args...)
}
