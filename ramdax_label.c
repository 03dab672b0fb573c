// SPDX-License-Identifier: GPL-2.0
/*
 * ramdax: the label area of a carveout and the three commands that reach it.
 *
 * Requests come from two callers: libnvdimm itself, which sizes its buffers
 * right, and the ND_IOCTL_* path, which copies whatever user space put in
 * in_offset and in_length without checking them against the area.
 *
 * Errors follow the ACPI NFIT model, the one ndctl understands: an envelope
 * too short for what it claims to carry is the caller's bug and fails with
 * -EINVAL; a well-formed request the "firmware" refuses (a range outside
 * the area) succeeds as a call, with the DSM status word set and *cmd_rc
 * negative.  The ioctl path copies the envelope back only when the call
 * succeeds, so this is the only way user space sees a status word.
 */
#include <linux/errno.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include <uapi/linux/ndctl.h>

#include "ramdax.h"

/*
 * libnvdimm and ndctl walk the area in max_xfer steps, so anything smaller
 * than the area only multiplies the calls; the ioctl path caps a buffer at
 * 4 MiB, far above it.
 */
#define RAMDAX_MAX_XFER		RAMDAX_LABEL_SIZE

/* ACPI DSM status "invalid input parameters", as nfit reports it. */
#define RAMDAX_STATUS_EINVAL	3

static bool ramdax_label_range_ok(u32 offset, u32 len)
{
	return len <= RAMDAX_LABEL_SIZE && offset <= RAMDAX_LABEL_SIZE - len;
}

/* The status word and *cmd_rc of a request the label area cannot serve. */
static u32 ramdax_refuse(int *cmd_rc)
{
	*cmd_rc = -EINVAL;
	return RAMDAX_STATUS_EINVAL;
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
				  struct nd_cmd_get_config_data_hdr *cmd,
				  int *cmd_rc)
{
	if (buf_len < sizeof(*cmd) ||
	    buf_len < struct_size(cmd, out_buf, cmd->in_length))
		return -EINVAL;

	if (!ramdax_label_range_ok(cmd->in_offset, cmd->in_length)) {
		cmd->status = ramdax_refuse(cmd_rc);
		return 0;
	}
	memcpy(cmd->out_buf, area + cmd->in_offset, cmd->in_length);
	cmd->status = 0;
	return 0;
}

static int ramdax_set_config_data(void *area, unsigned int buf_len,
				  struct nd_cmd_set_config_hdr *cmd,
				  int *cmd_rc)
{
	u32 status = 0;

	/* The status word follows the in_length bytes of data. */
	if (buf_len < sizeof(*cmd) ||
	    buf_len < size_add(struct_size(cmd, in_buf, cmd->in_length),
			       sizeof(status)))
		return -EINVAL;

	if (ramdax_label_range_ok(cmd->in_offset, cmd->in_length))
		memcpy(area + cmd->in_offset, cmd->in_buf, cmd->in_length);
	else
		status = ramdax_refuse(cmd_rc);
	memcpy(cmd->in_buf + cmd->in_length, &status, sizeof(status));
	return 0;
}

/**
 * ramdax_label_cmd() - serve one label command on a label area
 * @area: the RAMDAX_LABEL_SIZE bytes of labels
 * @cmd: ND_CMD_GET_CONFIG_SIZE, ND_CMD_GET_CONFIG_DATA or ND_CMD_SET_CONFIG_DATA
 * @buf: the command envelope, as libnvdimm or the ioctl path passes it
 * @buf_len: size of @buf
 * @cmd_rc: set to 0, or to -EINVAL with status 3 for a range outside @area
 *
 * Return: 0 when the envelope was read (check @cmd_rc), -EINVAL for an
 * envelope shorter than it says, -ENOTTY for any other command.
 */
int ramdax_label_cmd(void *area, unsigned int cmd, void *buf,
		     unsigned int buf_len, int *cmd_rc)
{
	*cmd_rc = 0;
	switch (cmd) {
	case ND_CMD_GET_CONFIG_SIZE:
		return ramdax_get_config_size(buf_len, buf);
	case ND_CMD_GET_CONFIG_DATA:
		return ramdax_get_config_data(area, buf_len, buf, cmd_rc);
	case ND_CMD_SET_CONFIG_DATA:
		return ramdax_set_config_data(area, buf_len, buf, cmd_rc);
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
 * @cmd_rc: where to report a refused request (may be NULL)
 *
 * Return: as ramdax_label_cmd(); -ENOTTY for every bus command.
 */
int ramdax_ctl(struct nvdimm_bus_descriptor *nd_desc, struct nvdimm *nvdimm,
	       unsigned int cmd, void *buf, unsigned int buf_len, int *cmd_rc)
{
	int rc = -ENOTTY, fw_rc = 0;

	if (nvdimm) {
		struct ramdax_dimm *dimm = nvdimm_provider_data(nvdimm);

		rc = ramdax_label_cmd(dimm->label, cmd, buf, buf_len, &fw_rc);
	}
	if (cmd_rc)
		*cmd_rc = fw_rc;
	return rc;
}
