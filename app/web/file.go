package web

import (
	"errors"
	"mime"
	"regexp"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/db"
)

// maxFile is the largest file Trail passes through from a portal.
const maxFile = 50 << 20

// userField is the name of a user field, the only fields holding files.
var userField = regexp.MustCompile(`^UF_[A-Z0-9_]{1,60}$`)

// tabFile streams a file of a record's file field to a user whose session
// may read the record (Bitrix24 said so, asked with the user's own token,
// when the tab was opened): Trail asks the portal for it with its own
// grant, at the record's own download address, so the portal checks that
// the file belongs to that record and field. Nothing is stored. A HEAD
// request answers the file's name and size only.
func (h *handlers) tabFile(c *fiber.Ctx) error {
	v, entity, id, err := h.readableRecord(c)
	if err != nil {
		return err
	}
	field := c.Params("field")
	fileID, err := strconv.ParseInt(c.Params("file"), 10, 64)
	if !userField.MatchString(field) || err != nil || fileID <= 0 {
		return fiber.ErrNotFound
	}
	ctx := c.UserContext()
	in, err := db.InstallationByID(ctx, h.DB.Bun, v.PortalID)
	if err != nil {
		return err
	}
	client, err := h.Clients.For(in)
	if err != nil {
		return err
	}
	// The legacy download address of a file field's value
	// (https://apidocs.bitrix24.com/api-reference/files/how-to-upload-files.html).
	ref := "/bitrix/components/bitrix/crm." + entity.String() + ".show/show_file.php?ownerId=" + strconv.FormatInt(id, 10) +
		"&fieldName=" + field + "&dynamic=Y&fileId=" + strconv.FormatInt(fileID, 10)
	var f *b24.File
	if c.Method() == fiber.MethodHead {
		f, err = client.FileInfo(ctx, ref) // the tab asks for names and sizes
	} else {
		f, err = client.Download(ctx, ref, maxFile)
	}
	var be *b24.Error
	switch {
	case errors.Is(err, b24.ErrFileTooLarge):
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "the file is larger than Trail passes through")
	case errors.As(err, &be) && (be.Status == fiber.StatusNotFound || be.Status == fiber.StatusForbidden):
		return fiber.ErrNotFound
	case err != nil:
		return err
	}
	typ := f.ContentType
	if typ == "" {
		typ = "application/octet-stream"
	}
	name := f.Name
	if name == "" {
		name = "file-" + strconv.FormatInt(fileID, 10)
	}
	c.Set(fiber.HeaderContentType, typ)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Set("X-Content-Type-Options", "nosniff")
	if f.Body == nil {
		if f.Size >= 0 {
			c.Response().Header.SetContentLength(int(f.Size))
		}
		return nil
	}
	return c.SendStream(f.Body, int(f.Size))
}
