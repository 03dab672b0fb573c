// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the ramdax label commands: ramdax_label_cmd() against a
 * scratch label area, for every bound, length and status word a caller on
 * the ND_IOCTL_* path can get wrong.  Buffers and the area are filled with
 * known bytes so that a test also sees what a refused command must not
 * touch.
 */
#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <uapi/linux/ndctl.h>

#include "ramdax.h"

/* ramdax_label.c's status for a refused range (ACPI "invalid input"). */
#define RAMDAX_TEST_STATUS_EINVAL	3U
#define RAMDAX_TEST_POISON		0xa5
/* Room for a whole-area transfer, one byte more and a status word. */
#define RAMDAX_TEST_BUF_SIZE		(16 + RAMDAX_LABEL_SIZE + 1 + 4)

struct ramdax_test {
	u8 *area;	/* the label area under test */
	u8 *expect;	/* what it must hold */
	u8 *buf;	/* the command envelope */
};

static u8 ramdax_test_pattern(size_t i)
{
	return (i * 7 + 3) & 0xff;
}

static int ramdax_test_init(struct kunit *test)
{
	struct ramdax_test *t;
	size_t i;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->area = kunit_kmalloc(test, RAMDAX_LABEL_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->area);
	t->expect = kunit_kmalloc(test, RAMDAX_LABEL_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->expect);
	t->buf = kunit_kmalloc(test, RAMDAX_TEST_BUF_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->buf);

	for (i = 0; i < RAMDAX_LABEL_SIZE; i++) {
		t->area[i] = ramdax_test_pattern(i);
		t->expect[i] = t->area[i];
	}
	for (i = 0; i < RAMDAX_TEST_BUF_SIZE; i++)
		t->buf[i] = RAMDAX_TEST_POISON;
	test->priv = t;
	return 0;
}

/* No byte of @buf from @from on was written. */
static void ramdax_expect_poison(struct kunit *test, const u8 *buf,
				 size_t from)
{
	size_t i;

	for (i = from; i < RAMDAX_TEST_BUF_SIZE; i++)
		if (buf[i] != RAMDAX_TEST_POISON)
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, (size_t)RAMDAX_TEST_BUF_SIZE,
			    "byte %zu of the buffer was written", i);
}

static void ramdax_expect_area(struct kunit *test, struct ramdax_test *t)
{
	KUNIT_EXPECT_MEMEQ(test, t->area, t->expect, RAMDAX_LABEL_SIZE);
}

/*
 * A transfer of @length bytes at @offset, given its exact buffer: a
 * well-formed envelope, so the call succeeds; a range outside the area is
 * refused with status 3 and *cmd_rc -EINVAL, as nfit reports it.
 */
struct ramdax_range_case {
	const char *name;
	u32 offset;
	u32 length;
	bool refused;
};

static const struct ramdax_range_case ramdax_range_cases[] = {
	{ "zero length at the start", 0, 0, false },
	{ "zero length at the end", RAMDAX_LABEL_SIZE, 0, false },
	{ "zero length past the end", RAMDAX_LABEL_SIZE + 1, 0, true },
	{ "first byte", 0, 1, false },
	{ "last byte", RAMDAX_LABEL_SIZE - 1, 1, false },
	{ "whole area", 0, RAMDAX_LABEL_SIZE, false },
	{ "one past the end", RAMDAX_LABEL_SIZE - 1, 2, true },
	{ "starting at the end", RAMDAX_LABEL_SIZE, 1, true },
	{ "longer than the area", 0, RAMDAX_LABEL_SIZE + 1, true },
	{ "offset + length wraps to 0", U32_MAX, 1, true },
	{ "offset + length wraps past 0", U32_MAX - 1, 4, true },
	{ "offset + length wraps into the area", U32_MAX - 15, 32, true },
};

static void ramdax_range_desc(const struct ramdax_range_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ramdax_range, ramdax_range_cases, ramdax_range_desc);

static void ramdax_get_config_data_range(struct kunit *test)
{
	const struct ramdax_range_case *c = test->param_value;
	struct ramdax_test *t = test->priv;
	struct nd_cmd_get_config_data_hdr *cmd = (void *)t->buf;
	unsigned int len = sizeof(*cmd) + c->length;
	int cmd_rc = 1;

	cmd->in_offset = c->offset;
	cmd->in_length = c->length;
	KUNIT_ASSERT_LE(test, len, RAMDAX_TEST_BUF_SIZE);

	KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area, ND_CMD_GET_CONFIG_DATA,
					       cmd, len, &cmd_rc), 0);
	ramdax_expect_area(test, t);
	if (c->refused) {
		KUNIT_EXPECT_EQ(test, cmd_rc, -EINVAL);
		KUNIT_EXPECT_EQ(test, cmd->status, RAMDAX_TEST_STATUS_EINVAL);
		ramdax_expect_poison(test, t->buf, sizeof(*cmd));
		return;
	}
	KUNIT_EXPECT_EQ(test, cmd_rc, 0);
	KUNIT_EXPECT_EQ(test, cmd->status, 0);
	KUNIT_EXPECT_MEMEQ(test, cmd->out_buf, t->area + c->offset, c->length);
	ramdax_expect_poison(test, t->buf, len);
}

static void ramdax_set_config_data_range(struct kunit *test)
{
	const struct ramdax_range_case *c = test->param_value;
	struct ramdax_test *t = test->priv;
	struct nd_cmd_set_config_hdr *cmd = (void *)t->buf;
	unsigned int len = sizeof(*cmd) + c->length + sizeof(u32);
	int cmd_rc = 1;
	u32 status;
	size_t i;

	cmd->in_offset = c->offset;
	cmd->in_length = c->length;
	KUNIT_ASSERT_LE(test, len, RAMDAX_TEST_BUF_SIZE);
	for (i = 0; i < c->length; i++)
		cmd->in_buf[i] = ~ramdax_test_pattern(i);
	if (!c->refused)
		for (i = 0; i < c->length; i++)
			t->expect[c->offset + i] = cmd->in_buf[i];

	KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area, ND_CMD_SET_CONFIG_DATA,
					       cmd, len, &cmd_rc), 0);
	KUNIT_EXPECT_EQ(test, cmd_rc, c->refused ? -EINVAL : 0);
	ramdax_expect_area(test, t);
	memcpy(&status, cmd->in_buf + c->length, sizeof(status));
	KUNIT_EXPECT_EQ(test, status,
			c->refused ? RAMDAX_TEST_STATUS_EINVAL : 0U);
	ramdax_expect_poison(test, t->buf, len);
}

/*
 * Buffers shorter than the header, or than header + in_length (+ the
 * status word for a write): a malformed envelope, the caller's bug, fails
 * with -EINVAL before any byte is copied, status word included.
 */
static void ramdax_get_config_data_short(struct kunit *test)
{
	struct ramdax_test *t = test->priv;
	struct nd_cmd_get_config_data_hdr *cmd = (void *)t->buf;
	unsigned int len;
	int cmd_rc;

	cmd->in_offset = 0;
	cmd->in_length = 0;
	for (len = 0; len < sizeof(*cmd); len++)
		KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area,
						       ND_CMD_GET_CONFIG_DATA,
						       cmd, len, &cmd_rc),
				-EINVAL);

	cmd->in_length = 16;
	KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area, ND_CMD_GET_CONFIG_DATA,
					       cmd, sizeof(*cmd) + 15, &cmd_rc),
			-EINVAL);

	/* A length whose header + length overflows 32 bits. */
	cmd->in_length = U32_MAX - 4;
	KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area, ND_CMD_GET_CONFIG_DATA,
					       cmd, RAMDAX_TEST_BUF_SIZE,
					       &cmd_rc), -EINVAL);
	ramdax_expect_poison(test, t->buf, offsetof(typeof(*cmd), status));
	ramdax_expect_area(test, t);
}

static void ramdax_set_config_data_short(struct kunit *test)
{
	struct ramdax_test *t = test->priv;
	struct nd_cmd_set_config_hdr *cmd = (void *)t->buf;
	unsigned int len;
	int cmd_rc;

	cmd->in_offset = 0;
	cmd->in_length = 0;
	for (len = 0; len < sizeof(*cmd) + sizeof(u32); len++)
		KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area,
						       ND_CMD_SET_CONFIG_DATA,
						       cmd, len, &cmd_rc),
				-EINVAL);
	ramdax_expect_poison(test, t->buf, sizeof(*cmd));

	/* The data fits, the status word after it does not. */
	cmd->in_length = 16;
	for (len = sizeof(*cmd) + 16; len < sizeof(*cmd) + 16 + sizeof(u32);
	     len++)
		KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area,
						       ND_CMD_SET_CONFIG_DATA,
						       cmd, len, &cmd_rc),
				-EINVAL);
	/* Less data than in_length says. */
	KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area, ND_CMD_SET_CONFIG_DATA,
					       cmd, sizeof(*cmd) + 15, &cmd_rc),
			-EINVAL);
	cmd->in_length = U32_MAX - 4;
	KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area, ND_CMD_SET_CONFIG_DATA,
					       cmd, RAMDAX_TEST_BUF_SIZE,
					       &cmd_rc), -EINVAL);
	ramdax_expect_poison(test, t->buf, sizeof(*cmd));
	ramdax_expect_area(test, t);
}

static void ramdax_get_config_size(struct kunit *test)
{
	struct ramdax_test *t = test->priv;
	struct nd_cmd_get_config_size *cmd = (void *)t->buf;
	unsigned int len;
	int cmd_rc;

	for (len = 0; len < sizeof(*cmd); len++)
		KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area,
						       ND_CMD_GET_CONFIG_SIZE,
						       cmd, len, &cmd_rc),
				-EINVAL);
	ramdax_expect_poison(test, t->buf, 0);

	KUNIT_EXPECT_EQ(test, ramdax_label_cmd(t->area, ND_CMD_GET_CONFIG_SIZE,
					       cmd, sizeof(*cmd), &cmd_rc), 0);
	KUNIT_EXPECT_EQ(test, cmd_rc, 0);
	KUNIT_EXPECT_EQ(test, cmd->status, 0);
	/* The size and place the kernel's own ramdax uses: 128 KiB. */
	KUNIT_EXPECT_EQ(test, cmd->config_size, 131072);
	/* libnvdimm fails a DIMM whose max_xfer is 0; ioctls cap at 4 MiB. */
	KUNIT_EXPECT_GT(test, cmd->max_xfer, 0);
	KUNIT_EXPECT_LE(test, cmd->max_xfer, cmd->config_size);
	KUNIT_EXPECT_LE(test, cmd->max_xfer,
			SZ_4M - sizeof(struct nd_cmd_get_config_data_hdr));
	ramdax_expect_poison(test, t->buf, sizeof(*cmd));
	ramdax_expect_area(test, t);
}

/* Walking the area in max_xfer steps, as libnvdimm does, reads it all. */
static void ramdax_read_in_max_xfer_steps(struct kunit *test)
{
	struct ramdax_test *t = test->priv;
	struct nd_cmd_get_config_size size;
	struct nd_cmd_get_config_data_hdr *cmd = (void *)t->buf;
	u32 offset, chunk;
	int cmd_rc;

	KUNIT_ASSERT_EQ(test, ramdax_label_cmd(t->area, ND_CMD_GET_CONFIG_SIZE,
					       &size, sizeof(size), &cmd_rc), 0);
	for (offset = 0; offset < size.config_size; offset += chunk) {
		chunk = min(size.max_xfer, size.config_size - offset);
		cmd->in_offset = offset;
		cmd->in_length = chunk;
		KUNIT_ASSERT_EQ(test,
				ramdax_label_cmd(t->area, ND_CMD_GET_CONFIG_DATA,
						 cmd, sizeof(*cmd) + chunk,
						 &cmd_rc), 0);
		KUNIT_ASSERT_EQ(test, cmd_rc, 0);
		KUNIT_ASSERT_MEMEQ(test, cmd->out_buf, t->area + offset, chunk);
	}
}

/* Every other DIMM command number, and some that are none. */
static void ramdax_unknown_command(struct kunit *test)
{
	static const unsigned int cmds[] = {
		ND_CMD_IMPLEMENTED, ND_CMD_SMART, ND_CMD_SMART_THRESHOLD,
		ND_CMD_DIMM_FLAGS, ND_CMD_VENDOR_EFFECT_LOG_SIZE,
		ND_CMD_VENDOR_EFFECT_LOG, ND_CMD_VENDOR, ND_CMD_CALL,
		ND_CMD_CALL + 1, 31, 255, UINT_MAX,
	};
	struct ramdax_test *t = test->priv;
	int cmd_rc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		KUNIT_EXPECT_EQ_MSG(test, ramdax_label_cmd(t->area, cmds[i],
							   t->buf,
							   RAMDAX_TEST_BUF_SIZE,
							   &cmd_rc),
				    -ENOTTY, "command %u", cmds[i]);
	ramdax_expect_poison(test, t->buf, 0);
	ramdax_expect_area(test, t);
}

static struct kunit_case ramdax_label_test_cases[] = {
	KUNIT_CASE_PARAM(ramdax_get_config_data_range, ramdax_range_gen_params),
	KUNIT_CASE_PARAM(ramdax_set_config_data_range, ramdax_range_gen_params),
	KUNIT_CASE(ramdax_get_config_data_short),
	KUNIT_CASE(ramdax_set_config_data_short),
	KUNIT_CASE(ramdax_get_config_size),
	KUNIT_CASE(ramdax_read_in_max_xfer_steps),
	KUNIT_CASE(ramdax_unknown_command),
	{}
};

static struct kunit_suite ramdax_label_test_suite = {
	.name = "ramdax_label",
	.init = ramdax_test_init,
	.test_cases = ramdax_label_test_cases,
};

kunit_test_suite(ramdax_label_test_suite);
