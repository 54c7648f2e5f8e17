package secret

import "testing"

func BenchmarkSeal(b *testing.B) {
	kr := mustRing(b, "k1:"+b64(testKey(1)))
	token := []byte("ydtj8pho532wydb5ixk78ol7uqlb7sch")
	b.ReportAllocs()
	for b.Loop() {
		kr.Seal(token, portalA)
	}
}

func BenchmarkOpen(b *testing.B) {
	kr := mustRing(b, "k1:"+b64(testKey(1)))
	sealed := kr.Seal([]byte("ydtj8pho532wydb5ixk78ol7uqlb7sch"), portalA)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Open(sealed, portalA); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenMatches(b *testing.B) {
	h := HashToken("ec1b5e6d3f9a4b7c8d2e1f0a9b8c7d6e")
	b.ReportAllocs()
	for b.Loop() {
		TokenMatches(h, "ec1b5e6d3f9a4b7c8d2e1f0a9b8c7d6e")
	}
}
