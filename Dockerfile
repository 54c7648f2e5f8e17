# syntax=docker/dockerfile:1
# Build: generate templ code, compile a static binary (assets are embedded).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go tool templ generate -path views && \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/trail .

# Run: the binary and CA certificates (time zones are compiled in); no shell, no root.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/trail /app/trail
USER 65532:65532
EXPOSE 8080
CMD ["/app/trail", "all"]
