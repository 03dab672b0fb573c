// SPDX-License-Identifier: GPL-2.0
/*
 * ramdax: the label area of a carveout and the three commands that reach it.
 *
 * Requests come from two callers: libnvdimm itself, which sizes its buffers
 * right, and the ND_IOCTL_* path, which copies whatever user space put in
 * in_offset and in_length without checking them against the area.  Every
 * length and offset is therefore checked here, in arithmetic that cannot
 * wrap, before any byte is copied.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <uapi/linux/ndctl.h>

#include "ramdax.h"

/*
 * The whole area in one transfer: libnvdimm and ndctl walk the area in
 * max_xfer steps, so a small value only multiplies the calls (the in-kernel
 * driver's 8 bytes cost ndctl 16384 ioctls to read 128 KiB).  The ioctl path
 * caps a buffer at 4 MiB, far above this.
 */
#define RAMDAX_MAX_XFER		RAMDAX_LABEL_SIZE

/* ACPI DSM status "invalid input parameters", as nfit reports it. */
#define RAMDAX_STATUS_EINVAL	3

static bool ramdax_label_range_ok(u32 offset, u32 len)
{
	return len <= RAMDAX_LABEL_SIZE && offset <= RAMDAX_LABEL_SIZE - len;
}

static int ramdax_get_config_size(unsigned int buf_len,
				  struct nd_cmd_get_config_size *cmd)
{
	if (buf_len < sizeof(*cmd))
		return -EINVAL;

	cmd->status = 0;
	cmd->config_size = RAMDAX_LABEL_SIZE;
	cmd->max_xfer = RAMDAX_MAX_XFER;
	return 0;
}

static int ramdax_get_config_data(void *area, unsigned int buf_len,
				  struct nd_cmd_get_config_data_hdr *cmd)
{
	if (buf_len < sizeof(*cmd))
		return -EINVAL;
	if (cmd->in_length > buf_len - sizeof(*cmd) ||
	    !ramdax_label_range_ok(cmd->in_offset, cmd->in_length)) {
		cmd->status = RAMDAX_STATUS_EINVAL;
		return -EINVAL;
	}

	memcpy(cmd->out_buf, area + cmd->in_offset, cmd->in_length);
	cmd->status = 0;
	return 0;
}

static int ramdax_set_config_data(void *area, unsigned int buf_len,
				  struct nd_cmd_set_config_hdr *cmd)
{
	size_t room;
	u32 status;

	/* The status word follows the in_length bytes of data. */
	if (buf_len < sizeof(*cmd) + sizeof(status))
		return -EINVAL;
	room = buf_len - sizeof(*cmd) - sizeof(status);
	if (cmd->in_length > room)
		return -EINVAL;

	if (!ramdax_label_range_ok(cmd->in_offset, cmd->in_length)) {
		status = RAMDAX_STATUS_EINVAL;
		memcpy(cmd->in_buf + cmd->in_length, &status, sizeof(status));
		return -EINVAL;
	}

	memcpy(area + cmd->in_offset, cmd->in_buf, cmd->in_length);
	status = 0;
	memcpy(cmd->in_buf + cmd->in_length, &status, sizeof(status));
	return 0;
}

/**
 * ramdax_label_cmd() - serve one label command on a label area
 * @area: the RAMDAX_LABEL_SIZE bytes of labels
 * @cmd: ND_CMD_GET_CONFIG_SIZE, ND_CMD_GET_CONFIG_DATA or ND_CMD_SET_CONFIG_DATA
 * @buf: the command envelope, as libnvdimm or the ioctl path passes it
 * @buf_len: size of @buf
 *
 * Return: 0, -EINVAL for a malformed or out-of-range request, -ENOTTY for
 * any other command.
 */
int ramdax_label_cmd(void *area, unsigned int cmd, void *buf,
		     unsigned int buf_len)
{
	switch (cmd) {
	case ND_CMD_GET_CONFIG_SIZE:
		return ramdax_get_config_size(buf_len, buf);
	case ND_CMD_GET_CONFIG_DATA:
		return ramdax_get_config_data(area, buf_len, buf);
	case ND_CMD_SET_CONFIG_DATA:
		return ramdax_set_config_data(area, buf_len, buf);
	default:
		return -ENOTTY;
	}
}

/**
 * ramdax_ctl() - libnvdimm command entry point of a ramdax bus
 * @nd_desc: the bus descriptor
 * @nvdimm: the DIMM addressed, NULL for a bus command
 * @cmd: ND_CMD_* number
 * @buf: command envelope, @buf_len bytes
 * @buf_len: size of @buf
 * @cmd_rc: firmware-level result, always 0: there is no firmware
 *
 * Return: 0, -EINVAL for a malformed or out-of-range request, -ENOTTY for a
 * command ramdax does not implement (every bus command).
 */
int ramdax_ctl(struct nvdimm_bus_descriptor *nd_desc, struct nvdimm *nvdimm,
	       unsigned int cmd, void *buf, unsigned int buf_len, int *cmd_rc)
{
	struct ramdax_dimm *dimm;

	if (cmd_rc)
		*cmd_rc = 0;
	if (!nvdimm)
		return -ENOTTY;
	dimm = nvdimm_provider_data(nvdimm);
	return ramdax_label_cmd(dimm->label, cmd, buf, buf_len);
}
