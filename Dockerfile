# Builds the naptracker binary and runs it on a small base with no shell: the health check is
# `naptracker health`. The build context has no .git (.dockerignore), so --version names no
# commit.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY sdk/go/go.mod sdk/go/go.sum sdk/go/
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/naptracker ./cmd/naptracker

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/naptracker /usr/local/bin/naptracker
EXPOSE 8080
ENTRYPOINT ["naptracker"]
CMD ["serve"]
