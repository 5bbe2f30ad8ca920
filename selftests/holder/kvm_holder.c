// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_holder: registers the misc device /dev/kvm (minor KVM_MINOR) under
 * another module's name, so the test suite can check that kvm.ko refuses
 * to load, with one clear line, while someone else holds /dev/kvm.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

static const struct file_operations kvm_holder_fops = {
	.owner = THIS_MODULE,
};

static struct miscdevice kvm_holder_dev = {
	.minor = KVM_MINOR,
	.name = "kvm",
	.fops = &kvm_holder_fops,
};

module_misc_device(kvm_holder_dev);

MODULE_DESCRIPTION("rvkvm test helper: holds /dev/kvm");
MODULE_LICENSE("GPL");
